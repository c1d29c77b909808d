/// One message of a kernel reply (`struct nlmsghdr` and its payload), and what ``NetlinkHostLinks`` reads from
/// it: the errno of an NLMSG_ERROR or NLMSG_DONE with the kernel's extended-ack text, and the device of an
/// RTM_NEWLINK. Pure.
struct NetlinkMessage: Equatable, Sendable {
    var type: UInt16
    var flags: UInt16
    var sequence: UInt32
    var payload: [UInt8]

    /// Splits a datagram into its messages; stops at the first malformed header.
    static func parse(_ bytes: ArraySlice<UInt8>) -> [NetlinkMessage] {
        var messages: [NetlinkMessage] = []
        var offset = bytes.startIndex
        while bytes.endIndex - offset >= 16 {
            let length = Int(NetlinkBytes.load(UInt32.self, bytes, at: offset))
            guard length >= 16, length <= bytes.endIndex - offset else { break }
            messages.append(
                NetlinkMessage(
                    type: NetlinkBytes.load(UInt16.self, bytes, at: offset + 4),
                    flags: NetlinkBytes.load(UInt16.self, bytes, at: offset + 6),
                    sequence: NetlinkBytes.load(UInt32.self, bytes, at: offset + 8),
                    payload: Array(bytes[(offset + 16)..<(offset + length)])))
            offset += length + NetlinkBytes.padding(length)
        }
        return messages
    }

    /// For NLMSG_ERROR and NLMSG_DONE: the errno (positive; 0 is success). Nil for other messages.
    var errorCode: Int32? {
        guard type == RouteNetlink.messageError || type == RouteNetlink.messageDone else { return nil }
        return payload.count >= 4 ? -NetlinkBytes.load(Int32.self, payload, at: 0) : 0
    }

    /// For NLMSG_ERROR: the kernel's extended-ack message (NLMSGERR_ATTR_MSG, e.g. "Unknown device type"), when
    /// it sent one.
    var errorDetail: String? {
        guard type == RouteNetlink.messageError, flags & RouteNetlink.ackAttributes != 0, payload.count >= 20 else { return nil }
        // The errno, then the request's header, then (unless capped) the rest of the request, then attributes.
        let echoed = flags & RouteNetlink.capped != 0 ? 16 : Int(NetlinkBytes.load(UInt32.self, payload, at: 4))
        let start = 4 + echoed + NetlinkBytes.padding(echoed)
        guard start <= payload.count else { return nil }
        let detail = NetlinkAttribute.parse(payload[start...]).first { $0.type == RouteNetlink.errorMessageAttribute }?.stringValue
        return detail?.isEmpty == false ? detail : nil
    }

    /// For RTM_NEWLINK: the device it describes.
    var link: NetlinkLink? {
        guard type == RouteNetlink.newLink, payload.count >= 16 else { return nil }
        let attributes = NetlinkAttribute.parse(payload[16...])
        let info = attributes.first { $0.type == RouteNetlink.linkInfo }.map { NetlinkAttribute.parse($0.payload[...]) } ?? []
        return NetlinkLink(
            index: NetlinkBytes.load(Int32.self, payload, at: 4), flags: NetlinkBytes.load(UInt32.self, payload, at: 8),
            name: attributes.first { $0.type == RouteNetlink.linkName }?.stringValue ?? "",
            kind: info.first { $0.type == RouteNetlink.infoKind }?.stringValue,
            master: attributes.first { $0.type == RouteNetlink.linkMaster }?.uint32Value.map { Int32(bitPattern: $0) })
    }
}
