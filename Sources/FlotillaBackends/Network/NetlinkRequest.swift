import FlotillaCore

/// One rtnetlink request: its message type, creation flags, fixed family header (`struct ifinfomsg` or
/// `struct ifaddrmsg`) and attributes. Every request is sent with NLM_F_REQUEST and NLM_F_ACK, so the kernel
/// answers each with an NLMSG_ERROR carrying 0 or an errno (a dump ends with NLMSG_DONE). Pure: the builders
/// below are the whole vocabulary ``NetlinkHostLinks`` speaks, table-tested byte for byte.
struct NetlinkRequest: Equatable, Sendable {
    var type: UInt16
    var flags: UInt16
    var header: [UInt8]
    var attributes: [NetlinkAttribute]

    /// The message on the wire (`struct nlmsghdr`, then the header and the attributes), port id 0 (the kernel
    /// fills in the socket's own).
    func encoded(sequence: UInt32) -> [UInt8] {
        var body = header + [UInt8](repeating: 0, count: NetlinkBytes.padding(header.count))
        body += attributes.flatMap(\.encoded)
        let allFlags = flags | RouteNetlink.request | RouteNetlink.ack
        return NetlinkBytes.native(UInt32(16 + body.count)) + NetlinkBytes.native(type) + NetlinkBytes.native(allFlags)
            + NetlinkBytes.native(sequence) + NetlinkBytes.native(UInt32(0)) + body
    }

    /// `struct ifinfomsg`: family AF_UNSPEC, device type 0, the index (0: by name), flags and change mask.
    static func linkHeader(index: Int32 = 0, flags: UInt32 = 0, change: UInt32 = 0) -> [UInt8] {
        [0, 0, 0, 0] + NetlinkBytes.native(index) + NetlinkBytes.native(flags) + NetlinkBytes.native(change)
    }

    /// RTM_GETLINK of one device by name (answered with its RTM_NEWLINK, or ENODEV).
    static func getLink(name: String) -> NetlinkRequest {
        NetlinkRequest(type: RouteNetlink.getLink, flags: 0, header: linkHeader(), attributes: [.string(RouteNetlink.linkName, name)])
    }

    /// RTM_GETLINK of every device (a dump).
    static func dumpLinks() -> NetlinkRequest {
        NetlinkRequest(type: RouteNetlink.getLink, flags: RouteNetlink.dump, header: linkHeader(), attributes: [])
    }

    /// RTM_NEWLINK creating a bridge (EEXIST when the name is taken).
    static func createBridge(name: String) -> NetlinkRequest {
        NetlinkRequest(
            type: RouteNetlink.newLink, flags: RouteNetlink.create | RouteNetlink.exclusive, header: linkHeader(),
            attributes: [
                .string(RouteNetlink.linkName, name),
                .nested(RouteNetlink.linkInfo, [.string(RouteNetlink.infoKind, "bridge")]),
            ])
    }

    /// RTM_NEWLINK creating a macvtap in bridge mode on `parent` (an index) with `mac` (EEXIST when taken).
    static func createMacvtap(name: String, parent: Int32, mac: [UInt8]) -> NetlinkRequest {
        NetlinkRequest(
            type: RouteNetlink.newLink, flags: RouteNetlink.create | RouteNetlink.exclusive, header: linkHeader(),
            attributes: [
                .string(RouteNetlink.linkName, name),
                .uint32(RouteNetlink.linkParent, UInt32(bitPattern: parent)),
                NetlinkAttribute(type: RouteNetlink.linkAddress, payload: mac),
                .nested(
                    RouteNetlink.linkInfo,
                    [
                        .string(RouteNetlink.infoKind, "macvtap"),
                        .nested(RouteNetlink.infoData, [.uint32(RouteNetlink.macvlanMode, RouteNetlink.macvlanModeBridge)]),
                    ]),
            ])
    }

    /// RTM_NEWLINK changing an existing device: sets it up, and optionally attaches it to `master` (an index)
    /// and gives it `mac`.
    static func setUp(index: Int32, master: Int32? = nil, mac: [UInt8]? = nil) -> NetlinkRequest {
        var attributes: [NetlinkAttribute] = []
        if let master { attributes.append(.uint32(RouteNetlink.linkMaster, UInt32(bitPattern: master))) }
        if let mac { attributes.append(NetlinkAttribute(type: RouteNetlink.linkAddress, payload: mac)) }
        return NetlinkRequest(
            type: RouteNetlink.newLink, flags: 0, header: linkHeader(index: index, flags: RouteNetlink.up, change: RouteNetlink.up),
            attributes: attributes)
    }

    /// RTM_DELLINK by name (ENODEV when there is none).
    static func deleteLink(name: String) -> NetlinkRequest {
        NetlinkRequest(type: RouteNetlink.deleteLink, flags: 0, header: linkHeader(), attributes: [.string(RouteNetlink.linkName, name)])
    }

    /// RTM_NEWADDR giving device `index` the IPv4 `address`/`prefixLength` (EEXIST when it has it).
    static func addAddress(index: Int32, address: IPv4Address, prefixLength: Int) -> NetlinkRequest {
        // struct ifaddrmsg: family, prefix length, flags, scope (universe), index.
        let header = [RouteNetlink.inet, UInt8(prefixLength), 0, 0] + NetlinkBytes.native(UInt32(bitPattern: index))
        return NetlinkRequest(
            type: RouteNetlink.newAddress, flags: RouteNetlink.create | RouteNetlink.exclusive, header: header,
            attributes: [
                NetlinkAttribute(type: RouteNetlink.addressLocal, payload: address.octets),
                NetlinkAttribute(type: RouteNetlink.addressAddress, payload: address.octets),
            ])
    }
}
