/// A network device as an RTM_NEWLINK reply describes it: what ``NetlinkHostLinks`` checks before it attaches to
/// or changes one.
struct NetlinkLink: Equatable, Sendable {
    var index: Int32
    var flags: UInt32
    var name: String
    /// IFLA_INFO_KIND: "bridge", "tun", "macvtap", "veth"...; nil for a device without one (loopback, a physical
    /// NIC).
    var kind: String?
    /// The index of the bridge it is attached to.
    var master: Int32?

    var isUp: Bool { flags & RouteNetlink.up != 0 }
}
