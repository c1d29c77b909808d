/// A named VM network of the cluster (docs/decisions/0025-vm-networks.md): a Linux bridge on every host with
/// one IPv4 range and gateway. The definition is cluster-wide (kept in the store); each interface on it gets an
/// address from the range, unique across the cluster. A *managed* network's bridge is created by Flotilla on each
/// host that needs it (named `fl-<name>`, holding the gateway address); an unmanaged one names a bridge the
/// operator made, which Flotilla attaches to and never changes.
public struct NetworkDefinition: Sendable, Codable, Equatable, Hashable {
    public var name: String
    public var cidr: IPv4Network
    public var gateway: IPv4Address
    public var bridge: String
    public var managed: Bool
    /// Nameservers given to guests (none by default).
    public var nameservers: [IPv4Address]

    public init(
        name: String, cidr: IPv4Network, gateway: IPv4Address? = nil, bridge: String? = nil,
        nameservers: [IPv4Address] = []
    ) {
        self.name = name
        self.cidr = cidr
        self.gateway = gateway ?? IPv4Address(cidr.hosts.lowerBound)
        self.bridge = bridge ?? Self.managedBridgeName(name)
        self.managed = bridge == nil
        self.nameservers = nameservers
    }

    /// The bridge Flotilla makes for a managed network.
    public static func managedBridgeName(_ name: String) -> String { "fl-" + name }

    /// Network names: 1-12 lowercase letters, digits and `-`, starting with a letter (so that `fl-<name>` is a
    /// valid interface name, at most 15 bytes).
    public static let maxNameBytes = 12

    public static func isValidName(_ name: String) -> Bool {
        guard (1...maxNameBytes).contains(name.utf8.count), let first = name.unicodeScalars.first,
            ("a"..."z").contains(first)
        else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }

    /// Checks the definition: the name, a range with room for at least one guest beside the gateway, the gateway
    /// inside it, the bridge a valid interface name. Nil when valid, else the reason.
    public func problem() -> String? {
        guard Self.isValidName(name) else {
            return "network name \"\(InstanceValidation.shown(name))\" must be 1-\(Self.maxNameBytes) lowercase letters, "
                + "digits or '-', starting with a letter"
        }
        guard cidr.prefixLength <= 30 else { return "network \(name): \(cidr) is too small (at most /30)" }
        guard cidr.hosts.contains(gateway.value) else { return "network \(name): gateway \(gateway) is not a host address of \(cidr)" }
        guard InstanceValidation.isInterfaceName(bridge) else {
            return "network \(name): bridge \"\(InstanceValidation.shown(bridge))\" is not a valid interface name "
                + "(1-15 characters, no '/', ':' or spaces)"
        }
        return nil
    }

    /// Parses the `--network` syntax `NAME=CIDR[,gateway=IP][,bridge=NAME][,dns=IP[+IP...]]`; `bridge` names an
    /// existing bridge (an unmanaged network). Throws a message saying what is wrong.
    public static func parse(_ text: String) throws(NetworkDefinitionError) -> NetworkDefinition {
        let usage = "expected NAME=CIDR[,gateway=IP][,bridge=NAME][,dns=IP+IP], e.g. vmnet=10.77.0.0/24"
        let fields = text.split(separator: ",", omittingEmptySubsequences: false)
        guard let first = fields.first, let eq = first.firstIndex(of: "=") else {
            throw NetworkDefinitionError("network \"\(InstanceValidation.shown(text))\": \(usage)")
        }
        let name = String(first[..<eq])
        let range = String(first[first.index(after: eq)...])
        guard let cidr = IPv4Network(range) else {
            throw NetworkDefinitionError(
                "network \(InstanceValidation.shown(name)): \"\(InstanceValidation.shown(range))\" is not an IPv4 CIDR with zero "
                    + "host bits: \(usage)")
        }
        var gateway: IPv4Address?
        var bridge: String?
        var nameservers: [IPv4Address] = []
        for field in fields.dropFirst() {
            let pair = field.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { throw NetworkDefinitionError("network \(name): \"\(field)\": \(usage)") }
            switch pair[0] {
            case "gateway":
                guard let address = IPv4Address(pair[1]) else {
                    throw NetworkDefinitionError("network \(name): gateway \"\(InstanceValidation.shown(pair[1]))\" is not an IPv4 address")
                }
                gateway = address
            case "bridge": bridge = pair[1]
            case "dns":
                for item in pair[1].split(separator: "+") {
                    guard let address = IPv4Address(item) else {
                        throw NetworkDefinitionError(
                            "network \(name): nameserver \"\(InstanceValidation.shown(String(item)))\" is not an IPv4 address")
                    }
                    nameservers.append(address)
                }
            default: throw NetworkDefinitionError("network \(name): unknown setting \"\(InstanceValidation.shown(pair[0]))\": \(usage)")
            }
        }
        let definition = NetworkDefinition(name: name, cidr: cidr, gateway: gateway, bridge: bridge, nameservers: nameservers)
        if let problem = definition.problem() { throw NetworkDefinitionError(problem) }
        return definition
    }
}

/// Why a network definition was refused.
public struct NetworkDefinitionError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
