/// One network interface of an instance (docs/decisions/0025-vm-networks.md), as asked for and, once the
/// instance is recorded, as allocated: the create transaction fills ``address`` and ``mac`` and records the
/// address in the store (``StoreKeys/address(network:_:)``) so that no two live interfaces share it.
public struct NetworkInterface: Sendable, Codable, Equatable, Hashable {
    /// How the guest's interface reaches the bridge.
    public enum Mode: String, Sendable, Codable, CaseIterable {
        /// A tap device attached to the network's bridge.
        case tap
        /// A macvtap device (bridge mode) on top of the network's bridge.
        case macvtap
    }

    /// The name of a ``NetworkDefinition``.
    public var network: String
    /// The guest's address: asked for (fixed), or allocated when the instance is recorded.
    public var address: IPv4Address?
    /// The guest's MAC address: asked for, or derived from the network and the address.
    public var mac: String?
    /// nil: ``Mode/tap``.
    public var mode: Mode?
    /// A bridge to attach to instead of the network's own (Flintlock's `overrides.bridge_name`).
    public var bridge: String?

    public init(network: String, address: IPv4Address? = nil, mac: String? = nil, mode: Mode? = nil, bridge: String? = nil) {
        self.network = network
        self.address = address
        self.mac = mac
        self.mode = mode
        self.bridge = bridge
    }

    public var effectiveMode: Mode { mode ?? .tap }

    /// The host device of interface `index` of instance `id`: `fl` + the first 10 hex digits of the id + the index,
    /// at most 15 bytes. Flotilla owns every device whose name starts with ``hostDevicePrefix``; adoption removes
    /// those of instances that no longer exist on the host.
    public static func hostDeviceName(instanceId: String, index: Int) -> String {
        let hex = instanceId.lowercased().filter(\.isHexDigit)
        return hostDevicePrefix + String(hex.prefix(10)) + String(index, radix: 16)
    }

    public static let hostDevicePrefix = "fl"

    /// The instance id prefix and index a host device name carries, when Flotilla made it (not a bridge `fl-...`).
    public static func owner(ofHostDevice name: String) -> (idPrefix: String, index: Int)? {
        guard name.hasPrefix(hostDevicePrefix), name.utf8.count >= 13, !name.contains("-") else { return nil }
        let rest = name.dropFirst(hostDevicePrefix.count)
        guard rest.allSatisfy(\.isHexDigit), let index = Int(rest.dropFirst(10), radix: 16) else { return nil }
        return (String(rest.prefix(10)), index)
    }

    /// A locally administered unicast MAC derived from the network name and the address: `02:NN:a:b:c:d`, NN a
    /// hash of the name. Unique wherever the address is (addresses are unique per network, and NN separates
    /// networks with overlapping ranges).
    public static func derivedMAC(network: String, address: IPv4Address) -> String {
        var hash: UInt32 = 2_166_136_261
        for byte in network.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        let bytes = [UInt8(0x02), UInt8(hash & 0xff)] + address.octets
        return bytes.map { hex2($0) }.joined(separator: ":")
    }

    /// Whether `mac` is six `:`-separated hex octets of a unicast address.
    public static func isValidMAC(_ mac: String) -> Bool {
        let parts = mac.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isHexDigit) }),
            let first = UInt8(parts[0], radix: 16)
        else { return false }
        return first & 1 == 0
    }

    static func hex2(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xf)]])
    }
}
