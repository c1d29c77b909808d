/// Whether a host may listen where it was asked to without TLS (docs/decisions/0017-tls-and-the-cluster-secret.md):
/// secure by default. A listener on a loopback address may stay plain (the five-minute tour); any other address
/// needs TLS, or `--insecure` said explicitly.
public enum ListenPolicy {
    /// One listener: the option that chose it (`--listen`) and the host part of its address.
    public struct Listener: Sendable, Equatable {
        public var option: String
        public var host: String

        public init(option: String, host: String) {
            self.option = option
            self.host = host
        }
    }

    /// What the host does about its listeners.
    public enum Verdict: Sendable, Equatable {
        /// Every listener is on TLS or on loopback.
        case secure
        /// Plain text leaves this machine because `--insecure` said so: start, and warn naming these listeners.
        case insecure([Listener])
        /// Plain text would leave this machine: refuse to start, with this message.
        case refused(String)
    }

    public static func verdict(_ listeners: [Listener], tls: Bool, insecure: Bool) -> Verdict {
        let exposed = tls ? [] : listeners.filter { !isLoopback($0.host) }
        if exposed.isEmpty { return .secure }
        if insecure { return .insecure(exposed) }
        let named = exposed.map { "\($0.option) \($0.host)" }.joined(separator: ", ")
        return .refused(
            "\(named) is not a loopback address: serve it with TLS (--tls-cert and --tls-key), "
                + "or pass --insecure to send API keys and everything else there in plain text")
    }

    /// Whether `host` names this machine only: `localhost`, 127.0.0.0/8, `::1` (with or without brackets).
    public static func isLoopback(_ host: String) -> Bool {
        var name = host.lowercased()
        if name.hasPrefix("[") && name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        if name == "localhost" || name == "::1" || name == "0:0:0:0:0:0:0:1" { return true }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        let octets = parts.compactMap { part -> Int? in
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(part), value <= 255 else {
                return nil
            }
            return value
        }
        return octets.count == 4 && octets[0] == 127
    }
}
