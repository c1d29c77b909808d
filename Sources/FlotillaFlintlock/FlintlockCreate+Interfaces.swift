import FlotillaCore

extension FlintlockCreate {
    /// The most interfaces a MicroVM may have: those of every instance (docs/decisions/0025-vm-networks.md).
    public static let maxInterfaces = InstanceValidation.maxInterfaces

    /// `interfaces` as `config.networks`, in order (docs/api/surface-e-flintlock.md): `type` TAP or MACVTAP,
    /// `guest_mac` as the MAC, `address.address` (CIDR text, its prefix the network's) as a fixed address,
    /// `overrides.bridge_name` as the bridge. The Flotilla network of each is the one whose range holds its
    /// address; else the one whose bridge is the override; else the only one defined. `address.gateway` must be
    /// the network's gateway and `address.nameservers` among the network's (guests get the network's). Addresses
    /// and MACs left out are allocated when the instance is recorded. Nil when there are none.
    static func interfaces(_ interfaces: [Flintlock_Types_NetworkInterface], networks: [String: NetworkDefinition])
        throws(FlotillaError) -> [NetworkInterface]?
    {
        guard !interfaces.isEmpty else { return nil }
        guard interfaces.count <= maxInterfaces else {
            throw .validation(
                "microvm.interfaces holds \(interfaces.count) interfaces: at most \(maxInterfaces)", field: "microvm.interfaces")
        }
        var devices: Set<String> = []
        var out: [NetworkInterface] = []
        for (i, interface) in interfaces.enumerated() {
            let field = "microvm.interfaces[\(i)]"
            guard !interface.deviceID.isEmpty else { throw .validation("\(field).device_id is required", field: "\(field).device_id") }
            guard devices.insert(interface.deviceID).inserted else {
                throw .validation(
                    "\(field).device_id \(shown(interface.deviceID)) names another interface too", field: "\(field).device_id")
            }
            let mode: NetworkInterface.Mode
            switch interface.type {
            case .tap: mode = .tap
            case .macvtap: mode = .macvtap
            case .UNRECOGNIZED(let value):
                throw .validation("\(field).type \(value) is neither MACVTAP (0) nor TAP (1)", field: "\(field).type")
            }
            var mac: String?
            if interface.hasGuestMac, !interface.guestMac.isEmpty {
                let given = interface.guestMac.lowercased()
                guard NetworkInterface.isValidMAC(given) else {
                    throw .validation(
                        "\(field).guest_mac \"\(shown(interface.guestMac))\" must be six ':'-separated hex octets of a unicast address",
                        field: "\(field).guest_mac")
                }
                mac = given
            }
            let fixed = interface.hasAddress ? try staticAddress(interface.address, field: "\(field).address") : nil
            let bridge =
                interface.hasOverrides && interface.overrides.hasBridgeName && !interface.overrides.bridgeName.isEmpty
                ? interface.overrides.bridgeName : nil
            let network = try network(for: fixed?.address, bridge: bridge, networks: networks, field: field)
            if let fixed { try check(fixed, interface.address, on: network, field: "\(field).address") }
            out.append(NetworkInterface(network: network.name, address: fixed?.address, mac: mac, mode: mode, bridge: bridge))
        }
        return out
    }

    /// `address.address` as an address and its prefix length: `10.0.0.5/24` (or a bare `10.0.0.5`).
    static func staticAddress(_ address: Flintlock_Types_StaticAddress, field: String) throws(FlotillaError)
        -> (address: IPv4Address, prefix: Int?)
    {
        let text = address.address
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let ip = IPv4Address(parts[0]) else {
            throw .validation(
                "\(field).address \"\(shown(text))\" must be an IPv4 address with its prefix length, e.g. 10.0.0.5/24",
                field: "\(field).address")
        }
        guard parts.count == 2 else { return (ip, nil) }
        guard parts[1].count <= 2, parts[1].allSatisfy(\.isNumber), let prefix = Int(parts[1]), (0...32).contains(prefix) else {
            throw .validation("\(field).address \"\(shown(text))\" has a bad prefix length", field: "\(field).address")
        }
        return (ip, prefix)
    }

    /// The Flotilla network of an interface: by its address, else by its bridge override, else the only one.
    static func network(for address: IPv4Address?, bridge: String?, networks: [String: NetworkDefinition], field: String)
        throws(FlotillaError) -> NetworkDefinition
    {
        let defined = networks.values.sorted { $0.name < $1.name }
        guard !defined.isEmpty else {
            throw .validation("\(field): no network is defined: start hosts with --network NAME=CIDR", field: field)
        }
        let listed = defined.map { "\($0.name) (\($0.cidr), bridge \($0.bridge))" }.joined(separator: ", ")
        if let address {
            let holding = defined.filter { $0.cidr.contains(address) }
            if let network = holding.first(where: { $0.bridge == bridge }) ?? holding.first { return network }
            throw .validation(
                "\(field).address.address \(address) is in no network; defined are \(listed)", field: "\(field).address.address")
        }
        if let bridge, let network = defined.first(where: { $0.bridge == bridge }) { return network }
        if defined.count == 1 { return defined[0] }
        throw .validation(
            "\(field): several networks are defined (\(listed)): give address.address inside one of them or "
                + "overrides.bridge_name naming its bridge", field: field)
    }

    /// The static address's prefix, gateway and nameservers against its network.
    static func check(
        _ fixed: (address: IPv4Address, prefix: Int?), _ given: Flintlock_Types_StaticAddress, on network: NetworkDefinition,
        field: String
    ) throws(FlotillaError) {
        if let prefix = fixed.prefix, prefix != network.cidr.prefixLength {
            throw .validation(
                "\(field).address \(given.address): network \(network.name) is \(network.cidr), so the prefix must be "
                    + "/\(network.cidr.prefixLength)", field: "\(field).address")
        }
        if given.hasGateway, !given.gateway.isEmpty, IPv4Address(given.gateway) != network.gateway {
            throw .validation(
                "\(field).gateway \"\(shown(given.gateway))\" must be network \(network.name)'s gateway \(network.gateway)",
                field: "\(field).gateway")
        }
        for (i, text) in given.nameservers.enumerated() {
            guard let server = IPv4Address(text), network.nameservers.contains(server) else {
                let offered = network.nameservers.map(\.description).joined(separator: ", ")
                throw .validation(
                    "\(field).nameservers[\(i)] \"\(shown(text))\": guests on network \(network.name) use its nameservers "
                        + "(\(offered.isEmpty ? "none" : offered)); name only those", field: "\(field).nameservers[\(i)]")
            }
        }
    }
}
