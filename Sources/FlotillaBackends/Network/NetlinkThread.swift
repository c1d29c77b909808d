import Foundation
import Glibc

/// Runs one blocking device operation on a thread of its own, off Swift's cooperative pool, and awaits it. With
/// a namespace name the thread first joins `/var/run/netns/NAME` (`setns(CLONE_NEWNET)`, as `ip netns exec`
/// does): the netlink socket it opens and the taps it makes through `/dev/net/tun` belong to that namespace.
/// The thread exits when the operation ends, so a joined namespace never leaks into any other work.
enum NetlinkThread {
    static func run<T: Sendable>(
        namespace: String?, _ body: @escaping @Sendable () throws(HostLinkError) -> T
    ) async throws(HostLinkError) -> T {
        let result: Result<T, HostLinkError> = await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(
                    returning: Result { () throws(HostLinkError) -> T in
                        try join(namespace)
                        return try body()
                    })
            }
            thread.name = "flotilla-netlink"
            thread.start()
        }
        return try result.get()
    }

    /// `setns(2)` from glibc. Swift's Glibc module leaves it out (it is declared only under `_GNU_SOURCE`), so it
    /// is looked up by name in the process's own symbols (glibc has exported it since 2.14).
    private typealias SetNamespace = @convention(c) (Int32, Int32) -> Int32
    private static let cloneNewNet: Int32 = 0x4000_0000  // CLONE_NEWNET
    private static let setNamespace: SetNamespace? = dlsym(dlopen(nil, RTLD_NOW), "setns").map {
        unsafeBitCast($0, to: SetNamespace.self)
    }

    private static func join(_ namespace: String?) throws(HostLinkError) {
        guard let namespace else { return }
        func failure(_ reason: String) -> HostLinkError {
            HostLinkError(operation: "join network namespace", device: namespace, reason: reason)
        }
        guard !namespace.isEmpty, !namespace.contains("/"), namespace != ".", namespace != ".." else {
            throw failure("not a namespace name")
        }
        let descriptor = open("/var/run/netns/" + namespace, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(NetlinkFailure.lastError().reason) }
        defer { close(descriptor) }
        guard let setNamespace else { throw failure("setns is not available") }
        guard setNamespace(descriptor, cloneNewNet) == 0 else { throw failure(NetlinkFailure.lastError().reason) }
    }
}
