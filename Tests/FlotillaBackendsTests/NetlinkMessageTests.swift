import FlotillaCore
import Testing

@testable import FlotillaBackends

/// The rtnetlink messages NetlinkHostLinks sends, byte for byte, and the replies it reads. Pure.
@Suite struct NetlinkMessageTests {
    /// A little-endian host (x86_64, arm64): the numbers below are written in that order.
    static func le32(_ value: UInt32) -> [UInt8] {
        [UInt8(value & 0xff), UInt8(value >> 8 & 0xff), UInt8(value >> 16 & 0xff), UInt8(value >> 24)]
    }

    static func header(length: UInt32, type: UInt16, flags: UInt16, sequence: UInt32) -> [UInt8] {
        le32(length) + [UInt8(type & 0xff), UInt8(type >> 8), UInt8(flags & 0xff), UInt8(flags >> 8)] + le32(sequence) + le32(0)
    }

    @Test func createBridgeIsNewLinkWithNameAndKindCreateExclusiveAndAck() {
        let bytes = NetlinkRequest.createBridge(name: "br0").encoded(sequence: 7)
        let expected =
            Self.header(length: 56, type: 16, flags: 0x605, sequence: 7) + [UInt8](repeating: 0, count: 16)  // ifinfomsg
            + [8, 0, 3, 0] + Array("br0".utf8) + [0]  // IFLA_IFNAME
            + [16, 0, 18, 0] + [11, 0, 1, 0] + Array("bridge".utf8) + [0, 0]  // IFLA_LINKINFO { IFLA_INFO_KIND }
        #expect(bytes == expected)
    }

    @Test func setUpCarriesIndexFlagsChangeMaskAndMaster() {
        let bytes = NetlinkRequest.setUp(index: 7, master: 3).encoded(sequence: 1)
        let expected =
            Self.header(length: 40, type: 16, flags: 0x5, sequence: 1) + [0, 0, 0, 0] + Self.le32(7) + Self.le32(1) + Self.le32(1)
            + [8, 0, 10, 0] + Self.le32(3)
        #expect(bytes == expected)
    }

    @Test func addAddressIsAnIfaddrmsgWithLocalAndAddressInNetworkOrder() {
        let bytes = NetlinkRequest.addAddress(index: 2, address: IPv4Address("10.77.0.1")!, prefixLength: 24).encoded(sequence: 9)
        let expected =
            Self.header(length: 40, type: 20, flags: 0x605, sequence: 9) + [2, 24, 0, 0] + Self.le32(2)
            + [8, 0, 2, 0, 10, 77, 0, 1] + [8, 0, 1, 0, 10, 77, 0, 1]
        #expect(bytes == expected)
    }

    @Test(arguments: [
        (NetlinkRequest.deleteLink(name: "tap0"), UInt16(17), UInt16(0x5)),
        (NetlinkRequest.getLink(name: "tap0"), UInt16(18), UInt16(0x5)),
        (NetlinkRequest.dumpLinks(), UInt16(18), UInt16(0x305)),
    ])
    func typesAndFlags(request: NetlinkRequest, type: UInt16, flags: UInt16) {
        let message = NetlinkMessage.parse(request.encoded(sequence: 4)[...])
        #expect(message.map(\.type) == [type])
        #expect(message.map(\.flags) == [flags])
        #expect(message.map(\.sequence) == [4])
    }

    @Test func macvtapNestsKindAndBridgeModeAndCarriesParentAndMac() throws {
        let mac: [UInt8] = [0x52, 0x54, 0, 0x12, 0x34, 0x56]
        let message = try #require(
            NetlinkMessage.parse(NetlinkRequest.createMacvtap(name: "mv0", parent: 5, mac: mac).encoded(sequence: 1)[...]).first)
        #expect(message.flags == 0x605)
        let attributes = NetlinkAttribute.parse(message.payload[16...])
        #expect(attributes.map(\.type) == [3, 5, 1, 18])
        #expect(attributes[0].stringValue == "mv0")
        #expect(attributes[1].uint32Value == 5)
        #expect(attributes[2].payload == mac)
        let info = NetlinkAttribute.parse(attributes[3].payload[...])
        #expect(info.first { $0.type == 1 }?.stringValue == "macvtap")
        let data = NetlinkAttribute.parse(try #require(info.first { $0.type == 2 }).payload[...])
        #expect(data == [NetlinkAttribute.uint32(1, 4)])
    }

    /// An NLMSG_ERROR as the kernel sends it to a socket with NETLINK_CAP_ACK and NETLINK_EXT_ACK.
    static func error(_ code: Int32, sequence: UInt32, message: String?) -> [UInt8] {
        var payload = Self.le32(UInt32(bitPattern: -code)) + Self.header(length: 56, type: 16, flags: 0x605, sequence: sequence)
        var flags: UInt16 = 0x100
        if let message {
            payload += NetlinkAttribute.string(1, message).encoded
            flags |= 0x200
        }
        return Self.header(length: UInt32(16 + payload.count), type: 2, flags: flags, sequence: sequence) + payload
    }

    @Test func errorsCarryTheErrnoAndTheKernelsText() throws {
        let failed = try #require(NetlinkMessage.parse(Self.error(95, sequence: 3, message: "Unknown device type")[...]).first)
        #expect(failed.errorCode == 95)
        #expect(failed.errorDetail == "Unknown device type")
        #expect(NetlinkFailure(code: 95, detail: failed.errorDetail).reason == "Operation not supported (Unknown device type)")
        let ack = try #require(NetlinkMessage.parse(Self.error(0, sequence: 3, message: nil)[...]).first)
        #expect(ack.errorCode == 0)
        #expect(ack.errorDetail == nil)
        #expect(NetlinkFailure(code: 17).reason == "File exists")
    }

    @Test func anUncappedErrorSkipsTheEchoedRequest() throws {
        let request = NetlinkRequest.createBridge(name: "br0").encoded(sequence: 2)
        let payload = Self.le32(UInt32(bitPattern: -17)) + request + NetlinkAttribute.string(1, "exists").encoded
        let bytes = Self.header(length: UInt32(16 + payload.count), type: 2, flags: 0x200, sequence: 2) + payload
        let message = try #require(NetlinkMessage.parse(bytes[...]).first)
        #expect(message.errorCode == 17)
        #expect(message.errorDetail == "exists")
    }

    @Test func aNewLinkReplyGivesIndexFlagsNameKindAndMaster() throws {
        let reply = NetlinkRequest(
            type: 16, flags: 0, header: NetlinkRequest.linkHeader(index: 6, flags: 0x1003),
            attributes: [.string(3, "tap0"), .uint32(10, 2), .nested(18, [.string(1, "tun")])])
        var bytes = reply.encoded(sequence: 5)
        bytes += Self.error(0, sequence: 5, message: nil)
        let messages = NetlinkMessage.parse(bytes[...])
        #expect(messages.count == 2)
        #expect(messages[0].link == NetlinkLink(index: 6, flags: 0x1003, name: "tap0", kind: "tun", master: 2))
        #expect(messages[0].link?.isUp == true)
        #expect(messages[1].link == nil)
        #expect(messages[1].errorCode == 0)
    }

    @Test func malformedInputStopsParsing() {
        // A header claiming more bytes than there are, and an attribute shorter than its own header.
        #expect(NetlinkMessage.parse(Self.header(length: 64, type: 16, flags: 0, sequence: 1)[...]).isEmpty)
        #expect(NetlinkMessage.parse([1, 2, 3][...]).isEmpty)
        #expect(NetlinkAttribute.parse([2, 0, 3, 0, 0, 0, 0, 0][...]).isEmpty)
        #expect(NetlinkAttribute.parse([8, 0, 3, 0, 0, 0][...]).isEmpty)
    }

    @Test(arguments: [
        ("52:54:00:12:34:56", [0x52, 0x54, 0, 0x12, 0x34, 0x56] as [UInt8]?),
        ("AA:bb:CC:dd:EE:ff", [0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]),
        ("52:54:00:12:34", nil),
        ("52:54:00:12:34:56:78", nil),
        ("52:54:00:12:34:5", nil),
        ("52-54-00-12-34-56", nil),
        ("52:54:00:12:34:+5", nil),
        ("52:54:00:12:34:zz", nil),
        ("", nil),
    ])
    func macAddresses(text: String, bytes: [UInt8]?) {
        #expect(NetlinkHostLinks.macBytes(text) == bytes)
    }
}
