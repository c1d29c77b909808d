/// An IPv4 address as its 32-bit value (network byte order read as a big-endian integer), parsed from and
/// written as dotted-quad text. Pure.
public struct IPv4Address: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    /// Parses `a.b.c.d` (four decimal octets 0-255, no leading `+`, no spaces); nil otherwise.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy(\.isASCII), part.allSatisfy(\.isNumber),
                let octet = UInt32(part), octet <= 255
            else { return nil }
            value = value << 8 | octet
        }
        self.value = value
    }

    public var description: String {
        [24, 16, 8, 0].map { String((value >> UInt32($0)) & 0xff) }.joined(separator: ".")
    }

    /// The four octets, most significant first.
    public var octets: [UInt8] { [24, 16, 8, 0].map { UInt8((value >> UInt32($0)) & 0xff) } }

    public static func < (a: IPv4Address, b: IPv4Address) -> Bool { a.value < b.value }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let address = IPv4Address(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an IPv4 address: \(text)"))
        }
        self = address
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// An IPv4 network in CIDR notation (`10.77.0.0/24`). The base address has no host bits set.
public struct IPv4Network: Sendable, Hashable, Codable, CustomStringConvertible {
    public var base: IPv4Address
    public var prefixLength: Int

    /// Parses `a.b.c.d/n` with n in 0...32; the host bits of the address must be zero.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPv4Address(parts[0]), parts[1].count <= 2, parts[1].allSatisfy(\.isNumber),
            let length = Int(parts[1]), (0...32).contains(length)
        else { return nil }
        let network = IPv4Network(base: address, prefixLength: length)
        guard network.base == address else { return nil }
        self = network
    }

    /// The network of `address` with `prefixLength` bits (host bits cleared).
    public init(base address: IPv4Address, prefixLength: Int) {
        self.prefixLength = prefixLength
        self.base = IPv4Address(address.value & Self.mask(prefixLength))
    }

    static func mask(_ length: Int) -> UInt32 { length == 0 ? 0 : UInt32.max << UInt32(32 - length) }

    public var mask: IPv4Address { IPv4Address(Self.mask(prefixLength)) }
    public var broadcast: IPv4Address { IPv4Address(base.value | ~Self.mask(prefixLength)) }
    public var description: String { "\(base)/\(prefixLength)" }

    public func contains(_ address: IPv4Address) -> Bool { address.value & Self.mask(prefixLength) == base.value }

    /// The addresses a host may hold: all but the network and broadcast addresses (for /31 and /32, all).
    public var hosts: ClosedRange<UInt32> {
        prefixLength >= 31 ? base.value...broadcast.value : (base.value + 1)...(broadcast.value - 1)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let network = IPv4Network(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an IPv4 CIDR: \(text)"))
        }
        self = network
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
