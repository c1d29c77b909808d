/// Chooses the addresses of an instance's interfaces (pure; docs/decisions/0025-vm-networks.md). The store's
/// create transaction is what makes an address unique: it compares each chosen address key absent, and a
/// create that loses a race chooses again with the lost address excluded.
public enum AddressAllocator {
    /// What went wrong, in words for a 400/409.
    public enum Refusal: Error, Sendable, Equatable {
        case unknownNetwork(String)
        case outsideRange(network: String, address: IPv4Address, cidr: IPv4Network)
        case reserved(network: String, address: IPv4Address)
        case inUse(network: String, address: IPv4Address)
        case exhausted(network: String, cidr: IPv4Network)
        case duplicateNetwork(String)
        case badMAC(String)

        public var message: String {
            switch self {
            case .unknownNetwork(let name): return "network \(name) is not defined (see `flotilla network list`)"
            case .outsideRange(let network, let address, let cidr):
                return "address \(address) is not in network \(network) (\(cidr))"
            case .reserved(let network, let address):
                return "address \(address) is reserved on network \(network) (its network, broadcast or gateway address)"
            case .inUse(let network, let address): return "address \(address) on network \(network) is in use"
            case .exhausted(let network, let cidr): return "network \(network) (\(cidr)) has no free address"
            case .duplicateNetwork(let name): return "network \(name) is named by more than one interface"
            case .badMAC(let mac): return "MAC address \"\(InstanceValidation.shown(mac))\" must be six hex octets of a unicast address"
            }
        }

        /// A taken or exhausted range is a conflict with the cluster's state (409); the rest is bad input (400).
        public var isConflict: Bool {
            switch self {
            case .inUse, .exhausted: return true
            default: return false
            }
        }
    }

    /// The interfaces with their addresses and MACs filled: a fixed address is checked (in range, not reserved,
    /// not in `taken`), a missing one is the lowest free host address of the network. `taken` holds the addresses
    /// in use per network (the store's, plus any this create lost a race for).
    public static func allocate(
        _ interfaces: [NetworkInterface], networks: [String: NetworkDefinition], taken: [String: Set<IPv4Address>]
    ) -> Result<[NetworkInterface], Refusal> {
        var out: [NetworkInterface] = []
        var seen: Set<String> = []
        for var interface in interfaces {
            guard let network = networks[interface.network] else { return .failure(.unknownNetwork(interface.network)) }
            guard seen.insert(network.name).inserted else { return .failure(.duplicateNetwork(network.name)) }
            if let mac = interface.mac, !NetworkInterface.isValidMAC(mac) { return .failure(.badMAC(mac)) }
            let used = taken[network.name] ?? []
            if let fixed = interface.address {
                guard network.cidr.contains(fixed) else {
                    return .failure(.outsideRange(network: network.name, address: fixed, cidr: network.cidr))
                }
                guard network.cidr.hosts.contains(fixed.value), fixed != network.gateway else {
                    return .failure(.reserved(network: network.name, address: fixed))
                }
                guard !used.contains(fixed) else { return .failure(.inUse(network: network.name, address: fixed)) }
            } else {
                guard let free = lowestFree(network, used) else {
                    return .failure(.exhausted(network: network.name, cidr: network.cidr))
                }
                interface.address = free
            }
            if interface.mac == nil, let address = interface.address {
                interface.mac = NetworkInterface.derivedMAC(network: network.name, address: address)
            }
            interface.mac = interface.mac?.lowercased()
            out.append(interface)
        }
        return .success(out)
    }

    /// The lowest host address of `network` that is neither its gateway nor in `used`.
    static func lowestFree(_ network: NetworkDefinition, _ used: Set<IPv4Address>) -> IPv4Address? {
        var value = network.cidr.hosts.lowerBound
        while true {
            let candidate = IPv4Address(value)
            if candidate != network.gateway && !used.contains(candidate) { return candidate }
            guard value < network.cidr.hosts.upperBound else { return nil }
            value += 1
        }
    }
}
