/// The rtnetlink numbers ``NetlinkHostLinks`` uses, from the kernel's uapi headers (`linux/netlink.h`,
/// `linux/rtnetlink.h`, `linux/if_link.h`, `linux/if_addr.h`, `linux/if_tun.h`). They are ABI: the kernel never
/// renumbers them. Swift's Glibc module does not import the uapi headers, so they are spelled out here.
enum RouteNetlink {
    // Message types (linux/netlink.h, linux/rtnetlink.h).
    static let messageError: UInt16 = 2  // NLMSG_ERROR
    static let messageDone: UInt16 = 3  // NLMSG_DONE
    static let newLink: UInt16 = 16  // RTM_NEWLINK
    static let deleteLink: UInt16 = 17  // RTM_DELLINK
    static let getLink: UInt16 = 18  // RTM_GETLINK
    static let newAddress: UInt16 = 20  // RTM_NEWADDR

    // Header flags.
    static let request: UInt16 = 0x1  // NLM_F_REQUEST
    static let multi: UInt16 = 0x2  // NLM_F_MULTI
    static let ack: UInt16 = 0x4  // NLM_F_ACK
    static let dumpInterrupted: UInt16 = 0x10  // NLM_F_DUMP_INTR
    static let dump: UInt16 = 0x300  // NLM_F_ROOT | NLM_F_MATCH
    static let exclusive: UInt16 = 0x200  // NLM_F_EXCL
    static let create: UInt16 = 0x400  // NLM_F_CREATE
    /// On an NLMSG_ERROR: the request was not echoed (NLM_F_CAPPED) / extended-ack attributes follow
    /// (NLM_F_ACK_TLVS).
    static let capped: UInt16 = 0x100
    static let ackAttributes: UInt16 = 0x200

    // Socket options (SOL_NETLINK).
    static let socketLevel: Int32 = 270  // SOL_NETLINK
    static let capAckOption: Int32 = 10  // NETLINK_CAP_ACK
    static let extendedAckOption: Int32 = 11  // NETLINK_EXT_ACK
    static let errorMessageAttribute: UInt16 = 1  // NLMSGERR_ATTR_MSG

    // Link attributes (linux/if_link.h).
    static let linkAddress: UInt16 = 1  // IFLA_ADDRESS
    static let linkName: UInt16 = 3  // IFLA_IFNAME
    static let linkParent: UInt16 = 5  // IFLA_LINK
    static let linkMaster: UInt16 = 10  // IFLA_MASTER
    static let linkInfo: UInt16 = 18  // IFLA_LINKINFO
    static let infoKind: UInt16 = 1  // IFLA_INFO_KIND
    static let infoData: UInt16 = 2  // IFLA_INFO_DATA
    static let macvlanMode: UInt16 = 1  // IFLA_MACVLAN_MODE
    static let macvlanModeBridge: UInt32 = 4  // MACVLAN_MODE_BRIDGE

    // Address attributes (linux/if_addr.h).
    static let addressAddress: UInt16 = 1  // IFA_ADDRESS
    static let addressLocal: UInt16 = 2  // IFA_LOCAL

    /// IFF_UP (linux/if.h).
    static let up: UInt32 = 0x1
    static let inet: UInt8 = 2  // AF_INET

    // Tun/tap ioctls and flags (linux/if_tun.h): _IOW('T', 202, int) and _IOW('T', 203, int).
    static let tunSetInterface: UInt = 0x4004_54ca  // TUNSETIFF
    static let tunSetPersist: UInt = 0x4004_54cb  // TUNSETPERSIST
    static let tunGetInterface: UInt = 0x8004_54d2  // TUNGETIFF
    static let tunTap: Int16 = 0x0002  // IFF_TAP
    static let tunNoPacketInfo: Int16 = 0x1000  // IFF_NO_PI
    static let tunVnetHeader: Int16 = 0x4000  // IFF_VNET_HDR
    /// IFNAMSIZ, and `sizeof(struct ifreq)` on 64-bit Linux (the name, then a 24-byte union).
    static let interfaceNameSize = 16
    static let interfaceRequestSize = 40
}
