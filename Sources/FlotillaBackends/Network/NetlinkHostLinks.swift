import FlotillaCore
import Foundation
import Glibc

/// ``HostLinks`` through rtnetlink: bridges, taps and macvtaps made, attached and removed with RTM_NEWLINK,
/// RTM_NEWADDR, RTM_GETLINK and RTM_DELLINK messages on a netlink socket (``NetlinkSocket``), taps through
/// `/dev/net/tun` (``TapDevice``); no `ip` process, so a failure is the kernel's errno for exactly the step that
/// failed, never a parsed message. Each call runs on a thread of its own (``NetlinkThread``), with a 5 s deadline
/// on every answer from the kernel. Needs CAP_NET_ADMIN (root). See docs/decisions/0025-vm-networks.md.
///
/// `namespace` (tests) names a network namespace under `/var/run/netns` in which every device is made and looked
/// up; nil (production) is the process's own.
public struct NetlinkHostLinks: HostLinks {
    public let namespace: String?

    public init(namespace: String? = nil) {
        self.namespace = namespace
    }

    /// A managed network's bridge is created (an existing one is kept), given the gateway address with the
    /// network's prefix length (kept when it has it) and set up. An unmanaged network's bridge must exist and be a
    /// bridge; it is not changed (the operator owns it).
    public func ensureBridge(_ network: NetworkDefinition) async throws(HostLinkError) {
        try await NetlinkThread.run(namespace: namespace) { () throws(HostLinkError) in
            let bridge = network.bridge
            let socket = try Self.open("ensure bridge", bridge)
            if network.managed {
                try Self.step("create bridge", bridge, allowing: EEXIST) { () throws(NetlinkFailure) in
                    _ = try socket.transact(.createBridge(name: bridge))
                }
            }
            guard let link = try Self.find(bridge, socket, "ensure bridge") else {
                throw HostLinkError(
                    operation: "ensure bridge", device: bridge,
                    reason: "bridge \(bridge) does not exist (network \(network.name) names it with bridge=\(bridge))")
            }
            guard link.kind == "bridge" else {
                throw HostLinkError(
                    operation: "ensure bridge", device: bridge,
                    reason: "\(bridge) is a \(link.kind ?? "device") device, not a bridge (network \(network.name))")
            }
            guard network.managed else { return }
            let address = NetlinkRequest.addAddress(index: link.index, address: network.gateway, prefixLength: network.cidr.prefixLength)
            try Self.step("add address \(network.gateway)/\(network.cidr.prefixLength) to", bridge, allowing: EEXIST) {
                () throws(NetlinkFailure) in _ = try socket.transact(address)
            }
            try Self.step("set up", bridge) { () throws(NetlinkFailure) in _ = try socket.transact(.setUp(index: link.index)) }
        }
    }

    /// The bridge is looked up first, so a missing one leaves no tap behind. A tap that exists already (a
    /// previous run of the instance, even one whose QEMU still holds it) is reused: attached and set up again.
    /// A tap made here whose attachment fails is deleted again.
    public func createTap(name: String, bridge: String) async throws(HostLinkError) {
        try await NetlinkThread.run(namespace: namespace) { () throws(HostLinkError) in
            let socket = try Self.open("create tap", name)
            guard let master = try Self.find(bridge, socket, "create tap", device: name) else {
                throw HostLinkError(operation: "create tap", device: name, reason: "bridge \(bridge) does not exist")
            }
            let outcome = try Self.step("create tap", name) { () throws(NetlinkFailure) in try TapDevice.createPersistent(name: name) }
            do throws(HostLinkError) {
                guard let tap = try Self.find(name, socket, "attach tap") else {
                    throw HostLinkError(operation: "attach tap", device: name, reason: "the tap vanished after it was made")
                }
                try Self.step("attach tap", name, to: bridge) { () throws(NetlinkFailure) in
                    _ = try socket.transact(.setUp(index: tap.index, master: master.index))
                }
            } catch {
                if outcome == .created { _ = try? socket.transact(.deleteLink(name: name)) }
                throw error
            }
        }
    }

    /// A macvtap that exists already (a previous run) is given the MAC and set up again. The character device
    /// `/dev/tapN` (N the ifindex) is made by devtmpfs when the kernel registers the device (there is no udev on
    /// the hosts this runs on); should it be missing, it is made here with mknod from the numbers the kernel
    /// publishes in `/sys/class/net/NAME/macvtap/tapN/dev`.
    public func createMacvtap(name: String, parent: String, mac: String) async throws(HostLinkError) -> String {
        try await NetlinkThread.run(namespace: namespace) { () throws(HostLinkError) -> String in
            guard let macBytes = Self.macBytes(mac) else {
                throw HostLinkError(
                    operation: "create macvtap", device: name, reason: "\"\(mac)\" is not a MAC address (xx:xx:xx:xx:xx:xx)")
            }
            let socket = try Self.open("create macvtap", name)
            guard let lower = try Self.find(parent, socket, "create macvtap", device: name) else {
                throw HostLinkError(operation: "create macvtap", device: name, reason: "parent device \(parent) does not exist")
            }
            let created = try Self.step("create macvtap", name, on: parent, allowing: EEXIST) { () throws(NetlinkFailure) -> Bool in
                _ = try socket.transact(.createMacvtap(name: name, parent: lower.index, mac: macBytes))
                return true
            }
            guard let link = try Self.find(name, socket, "create macvtap") else {
                throw HostLinkError(operation: "create macvtap", device: name, reason: "the macvtap vanished after it was made")
            }
            try Self.step("set up", name) { () throws(NetlinkFailure) in
                _ = try socket.transact(.setUp(index: link.index, mac: created == true ? nil : macBytes))
            }
            let path = "/dev/tap\(link.index)"
            try Self.makeNodeIfMissing(path, name: name, index: link.index)
            return path
        }
    }

    public func deleteLink(name: String) async throws(HostLinkError) {
        try await NetlinkThread.run(namespace: namespace) { () throws(HostLinkError) in
            let socket = try Self.open("delete link", name)
            try Self.step("delete link", name, allowing: ENODEV) { () throws(NetlinkFailure) in
                _ = try socket.transact(.deleteLink(name: name))
            }
        }
    }

    public func linkNames() async throws(HostLinkError) -> [String] {
        try await NetlinkThread.run(namespace: namespace) { () throws(HostLinkError) -> [String] in
            let socket = try Self.open("list links", "*")
            // A dump that a device change interrupted (NLM_F_DUMP_INTR) is taken again, a few times.
            var attempt = 0
            while true {
                attempt += 1
                do throws(NetlinkFailure) {
                    return try socket.transact(.dumpLinks()).compactMap { $0.link?.name }
                } catch {
                    guard error.code == EINTR, attempt < 3 else {
                        throw HostLinkError(operation: "list links", device: "*", reason: error.reason)
                    }
                }
            }
        }
    }

    // MARK: Steps

    private static func open(_ operation: String, _ device: String) throws(HostLinkError) -> NetlinkSocket {
        do { return try NetlinkSocket() } catch { throw HostLinkError(operation: operation, device: device, reason: error.reason) }
    }

    /// Runs one kernel step; its failure becomes a ``HostLinkError`` of `operation` on `device` (the operation
    /// naming the other device it involves), except the errno `allowed`, which means "already so" (nil is
    /// returned then).
    @discardableResult
    private static func step<T>(
        _ operation: String, _ device: String, to other: String? = nil, on parent: String? = nil, allowing allowed: Int32? = nil,
        _ body: () throws(NetlinkFailure) -> T
    ) throws(HostLinkError) -> T? {
        do {
            return try body()
        } catch {
            if error.code == allowed { return nil }
            var reason = error.reason
            if let other { reason += " (bridge \(other))" }
            if let parent { reason += " (parent \(parent))" }
            throw HostLinkError(operation: operation, device: device, reason: reason)
        }
    }

    /// The device named `name`, or nil when there is none (ENODEV); another failure is one of `operation` on
    /// `device` (`name` by default).
    private static func find(
        _ name: String, _ socket: NetlinkSocket, _ operation: String, device: String? = nil
    ) throws(HostLinkError) -> NetlinkLink? {
        do {
            return try socket.transact(.getLink(name: name)).lazy.compactMap(\.link).first { $0.name == name }
        } catch {
            if error.code == ENODEV { return nil }
            throw HostLinkError(operation: operation, device: device ?? name, reason: "looking up \(name): \(error.reason)")
        }
    }

    /// `aa:bb:cc:dd:ee:ff` as six bytes; nil when it is not one.
    static func macBytes(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        let bytes = parts.compactMap { $0.count == 2 && $0.allSatisfy(\.isHexDigit) ? UInt8($0, radix: 16) : nil }
        return parts.count == 6 && bytes.count == 6 ? bytes : nil
    }

    /// Makes `/dev/tapN` when devtmpfs did not. In a namespace other than the process's, `/sys` (mounted for the
    /// process's namespace) does not show the device, so this only helps the production case.
    private static func makeNodeIfMissing(_ path: String, name: String, index: Int32) throws(HostLinkError) {
        guard access(path, F_OK) != 0 else { return }
        let numbers = "/sys/class/net/\(name)/macvtap/tap\(index)/dev"
        guard let text = try? String(contentsOfFile: numbers, encoding: .utf8), text.utf8.count < 64 else {
            throw HostLinkError(operation: "create macvtap", device: name, reason: "\(path) is missing and \(numbers) is unreadable")
        }
        let fields = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ":")
        guard fields.count == 2, let major = UInt64(fields[0]), let minor = UInt64(fields[1]) else {
            throw HostLinkError(operation: "create macvtap", device: name, reason: "\(numbers) holds \"\(text)\", not MAJOR:MINOR")
        }
        // glibc's makedev, which Swift's Glibc module does not import (it is a macro).
        let device = (major & 0xfffff000) << 32 | (major & 0xfff) << 8 | (minor & 0xffffff00) << 12 | (minor & 0xff)
        guard mknod(path, S_IFCHR | 0o600, dev_t(device)) == 0 || errno == EEXIST else {
            throw HostLinkError(operation: "create macvtap", device: name, reason: "mknod \(path): \(NetlinkFailure.lastError().reason)")
        }
    }
}
