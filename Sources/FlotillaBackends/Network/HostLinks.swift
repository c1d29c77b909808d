import FlotillaCore

/// The host's network devices, as the kvm backend needs them (docs/decisions/0025-vm-networks.md): bridges,
/// taps and macvtaps, made and removed through rtnetlink (``NetlinkHostLinks``). Every call is idempotent where
/// that makes sense (a bridge that exists, a device already gone) and throws ``HostLinkError`` with the device
/// and the kernel's reason otherwise.
public protocol HostLinks: Sendable {
    /// Makes sure the network's bridge exists. A managed network's bridge is created when missing, given the
    /// gateway address (with the network's prefix length) and set up; an unmanaged one must exist already and be a
    /// bridge, and is left as the operator set it (never set up or given an address here).
    func ensureBridge(_ network: NetworkDefinition) async throws(HostLinkError)
    /// Creates a persistent tap device `name` (its host-side MAC left to the kernel), attaches it
    /// to `bridge` and sets it up. QEMU opens it by name (`-netdev tap,ifname=NAME,script=no,downscript=no`).
    func createTap(name: String, bridge: String) async throws(HostLinkError)
    /// Creates a macvtap device `name` in bridge mode on top of `parent` with the guest's `mac`, sets it up, and
    /// returns the path of its character device (`/dev/tapN`), which QEMU is given as an open descriptor.
    func createMacvtap(name: String, parent: String, mac: String) async throws(HostLinkError) -> String
    /// Removes a device; one that does not exist is not an error.
    func deleteLink(name: String) async throws(HostLinkError)
    /// The names of every network device of the host.
    func linkNames() async throws(HostLinkError) -> [String]
}

/// A network device operation that failed: the operation, the device, and the kernel's reason.
public struct HostLinkError: Error, Sendable, Equatable, CustomStringConvertible {
    public var operation: String
    public var device: String
    public var reason: String

    public init(operation: String, device: String, reason: String) {
        self.operation = operation
        self.device = device
        self.reason = reason
    }

    public var description: String { "\(operation) \(device): \(reason)" }
}
