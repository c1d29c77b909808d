/// One rtnetlink attribute (`struct rtattr`: a 16-bit length and type, then the payload, padded to 4 bytes), as
/// sent in a request or read from a reply. Integers are in the host's byte order, as the kernel expects; IPv4
/// addresses are in network order. Pure.
struct NetlinkAttribute: Equatable, Sendable {
    var type: UInt16
    var payload: [UInt8]

    init(type: UInt16, payload: [UInt8]) {
        self.type = type
        self.payload = payload
    }

    /// A NUL-terminated string (interface names, link kinds).
    static func string(_ type: UInt16, _ value: String) -> NetlinkAttribute {
        NetlinkAttribute(type: type, payload: Array(value.utf8) + [0])
    }

    static func uint32(_ type: UInt16, _ value: UInt32) -> NetlinkAttribute {
        NetlinkAttribute(type: type, payload: NetlinkBytes.native(value))
    }

    /// Attributes nested inside this one (IFLA_LINKINFO, IFLA_INFO_DATA).
    static func nested(_ type: UInt16, _ children: [NetlinkAttribute]) -> NetlinkAttribute {
        NetlinkAttribute(type: type, payload: children.flatMap(\.encoded))
    }

    /// The attribute on the wire, padded to a multiple of 4 bytes.
    var encoded: [UInt8] {
        var bytes = NetlinkBytes.native(UInt16(4 + payload.count)) + NetlinkBytes.native(type) + payload
        bytes += [UInt8](repeating: 0, count: NetlinkBytes.padding(bytes.count))
        return bytes
    }

    /// The payload as a string, up to its NUL.
    var stringValue: String { String(decoding: payload.prefix { $0 != 0 }, as: UTF8.self) }

    /// The payload as a host-order 32-bit integer; nil when it is not 4 bytes.
    var uint32Value: UInt32? { payload.count == 4 ? NetlinkBytes.load(UInt32.self, payload, at: 0) : nil }

    /// Reads the attributes in `bytes` (a reply's tail after its fixed header); stops at the first malformed one.
    /// The nested flag (NLA_F_NESTED) and byte-order flag are cleared from the types.
    static func parse(_ bytes: ArraySlice<UInt8>) -> [NetlinkAttribute] {
        var attributes: [NetlinkAttribute] = []
        var offset = bytes.startIndex
        while bytes.endIndex - offset >= 4 {
            let length = Int(NetlinkBytes.load(UInt16.self, bytes, at: offset))
            let type = NetlinkBytes.load(UInt16.self, bytes, at: offset + 2) & 0x3fff
            guard length >= 4, offset + length <= bytes.endIndex else { break }
            attributes.append(NetlinkAttribute(type: type, payload: Array(bytes[(offset + 4)..<(offset + length)])))
            offset += length + NetlinkBytes.padding(length)
        }
        return attributes
    }
}
