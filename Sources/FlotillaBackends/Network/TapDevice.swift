import Glibc

/// Persistent tap devices through `/dev/net/tun`: TUNSETIFF with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR (what QEMU's
/// virtio-net expects), then TUNSETPERSIST so the device outlives the descriptor until it is deleted. The device
/// is made in the network namespace of the thread that opens `/dev/net/tun`.
enum TapDevice {
    /// What making the device found.
    enum Outcome: Equatable {
        /// A new device (or an existing detached tap of that name, which TUNSETIFF takes over as it is).
        case created
        /// A tap of that name is held open by a process (EBUSY: the QEMU of a previous run of the instance).
        case inUse
    }

    static func createPersistent(name: String) throws(NetlinkFailure) -> Outcome {
        let nameBytes = Array(name.utf8)
        guard !nameBytes.isEmpty, nameBytes.count < RouteNetlink.interfaceNameSize else {
            throw NetlinkFailure(code: EINVAL, detail: "a device name has 1-15 bytes")
        }
        let descriptor = open("/dev/net/tun", O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else { throw .lastError("/dev/net/tun") }
        defer { close(descriptor) }
        // struct ifreq: the NUL-terminated name, then ifr_flags (a short) at the start of the union.
        var request = [UInt8](repeating: 0, count: RouteNetlink.interfaceRequestSize)
        request.replaceSubrange(0..<nameBytes.count, with: nameBytes)
        let flags = RouteNetlink.tunTap | RouteNetlink.tunNoPacketInfo | RouteNetlink.tunVnetHeader
        request.replaceSubrange(16..<18, with: NetlinkBytes.native(flags))
        let attached = interfaceRequest(descriptor, RouteNetlink.tunSetInterface, &request)
        if attached != 0 {
            if errno == EBUSY { return .inUse }
            throw .lastError("TUNSETIFF")
        }
        guard ioctl(descriptor, RouteNetlink.tunSetPersist, Int32(1)) == 0 else { throw .lastError("TUNSETPERSIST") }
        return .created
    }

    /// The name of the device an open tap or macvtap descriptor belongs to (TUNGETIFF), or nil when it is not one.
    static func deviceName(of descriptor: Int32) -> String? {
        var request = [UInt8](repeating: 0, count: RouteNetlink.interfaceRequestSize)
        let answered = interfaceRequest(descriptor, RouteNetlink.tunGetInterface, &request)
        guard answered == 0 else { return nil }
        return String(decoding: request.prefix(RouteNetlink.interfaceNameSize).prefix { $0 != 0 }, as: UTF8.self)
    }

    /// ioctl(2) `command` on `descriptor` with the struct ifreq held in `request`.
    private static func interfaceRequest(_ descriptor: Int32, _ command: UInt, _ request: inout [UInt8]) -> Int32 {
        request.withUnsafeMutableBytes { bytes in
            guard let address = bytes.baseAddress else { preconditionFailure("an ifreq buffer is never empty") }
            return ioctl(descriptor, command, address)
        }
    }
}
