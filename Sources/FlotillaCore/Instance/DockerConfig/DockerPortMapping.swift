/// One entry of a docker config's `ports`, in Docker's syntax:
/// `[IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/tcp|/udp|/sctp]`.
///
/// - `80`: the container port is exposed, not published.
/// - `8080:80`, `127.0.0.1:8080:80`, `[::1]:8080:80`: published on that host port (and address).
/// - `127.0.0.1::80`, `:80`: published on a host port the daemon picks.
/// - Ranges: `8000-8009:80-89` (equal lengths, port by port), `8000-8009:80` (the daemon picks one host port of
///   the range), `80-89` (exposed).
/// Ports are 1-65535; the protocol is tcp when not given.
public struct DockerPortMapping: Sendable, Equatable {
    /// The host address to publish on; empty for every address.
    public var hostIP: String
    /// The host ports; nil when the daemon picks (or when the port is only exposed).
    public var hostPorts: ClosedRange<Int>?
    public var containerPorts: ClosedRange<Int>
    /// `tcp`, `udp` or `sctp`.
    public var proto: String
    /// Whether the port is published on the host (a `:` was given), rather than only exposed.
    public var isPublished: Bool

    public init(hostIP: String = "", hostPorts: ClosedRange<Int>?, containerPorts: ClosedRange<Int>, proto: String, isPublished: Bool) {
        self.hostIP = hostIP
        self.hostPorts = hostPorts
        self.containerPorts = containerPorts
        self.proto = proto
        self.isPublished = isPublished
    }

    /// Parses `raw`, or throws a validation error for `field` that says what is wrong and what is expected.
    public static func parse(_ raw: String, field: String) throws(FlotillaError) -> DockerPortMapping {
        func invalid(_ why: String) -> FlotillaError {
            .validation(
                "\(field) \"\(InstanceValidation.shown(raw))\" \(why) (expected [IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/tcp|/udp|/sctp], "
                    + "ports 1-65535, e.g. 8080:80 or 127.0.0.1:5353:53/udp)", field: field)
        }
        var spec = Substring(raw)
        var proto = "tcp"
        if let slash = spec.lastIndex(of: "/") {
            proto = spec[spec.index(after: slash)...].lowercased()
            guard ["tcp", "udp", "sctp"].contains(proto) else { throw invalid("has an unknown protocol: use tcp, udp or sctp") }
            spec = spec[..<slash]
        }
        var ip = Substring("")
        var ports: [Substring]
        if spec.hasPrefix("[") {
            guard let close = spec.firstIndex(of: "]"), spec[spec.index(after: close)...].hasPrefix(":") else {
                throw invalid("has an unclosed [IPv6] address")
            }
            ip = spec[spec.index(after: spec.startIndex)..<close]
            guard IPAddressText.isIPv6(ip) else { throw invalid("has an invalid IPv6 address") }
            ports = spec[spec.index(close, offsetBy: 2)...].split(separator: ":", omittingEmptySubsequences: false)
            guard ports.count == 2 else { throw invalid("needs HOST_PORT:CONTAINER_PORT after the address") }
        } else {
            let parts = spec.split(separator: ":", omittingEmptySubsequences: false)
            ports = Array(parts.suffix(2))
            if parts.count > 2 {
                ip = spec[..<parts[parts.count - 2].startIndex].dropLast()
                let valid = ip.isEmpty || IPAddressText.isIPv4(ip) || (parts.count > 3 && IPAddressText.isIPv6(ip))
                guard valid else { throw invalid("has an invalid host IP address") }
            }
        }
        guard let container = range(ports[ports.count - 1]) else {
            throw invalid("has an invalid container port: a port 1-65535 or a range START-END is expected")
        }
        var host: ClosedRange<Int>?
        if ports.count == 2, !ports[0].isEmpty {
            guard let parsed = range(ports[0]) else {
                throw invalid("has an invalid host port: a port 1-65535 or a range START-END is expected, or nothing to let docker pick")
            }
            guard parsed.count == container.count || container.count == 1 else {
                throw invalid("maps a host range and a container range of different lengths")
            }
            host = parsed
        }
        return DockerPortMapping(
            hostIP: String(ip), hostPorts: host, containerPorts: container, proto: proto, isPublished: ports.count == 2)
    }

    /// `N` or `N-M` with 1 <= N <= M <= 65535, digits only.
    static func range(_ text: Substring) -> ClosedRange<Int>? {
        let bounds = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        let numbers = bounds.compactMap { bound -> Int? in
            guard (1...5).contains(bound.count), bound.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(bound) else { return nil }
            return (1...65535).contains(n) ? n : nil
        }
        guard numbers.count == bounds.count, let low = numbers.first, let high = numbers.last, low <= high else { return nil }
        return low...high
    }
}
