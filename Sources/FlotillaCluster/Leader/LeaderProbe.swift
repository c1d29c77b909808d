import FlotillaCore
import Foundation
import Logging
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// On every follower: probes the leader's advertised address and, when its process is certainly gone (it
/// was reached before and now refuses connections, see ``LeaderWatch``), deletes the leader key, compared on
/// its create revision, so that a new leader is elected at once instead of after the lease TTL. A leader that
/// is merely slow or cut off is left to its lease.
public struct LeaderProbe: Service {
    let store: any ClusterStore
    let registry: RegistryCache
    let identity: HostIdentity
    let interval: Duration
    let connect: @Sendable (String, Duration) async -> ProbeOutcome
    let logger: Logger

    public init(
        store: any ClusterStore, registry: RegistryCache, identity: HostIdentity, interval: Duration = .milliseconds(200),
        connect: @escaping @Sendable (String, Duration) async -> ProbeOutcome = TCPProbe.connect,
        logger: Logger = Logger(label: "flotilla.leader-probe")
    ) {
        self.store = store
        self.registry = registry
        self.identity = identity
        self.interval = interval
        self.connect = connect
        self.logger = logger
    }

    public func run() async throws {
        try await runUntilShutdown { try await self.runUntilCancelled() }
    }

    private func runUntilCancelled() async throws {
        var watch = LeaderWatch()
        while !Task.isCancelled {
            try await Task.sleep(for: interval)
            guard let leader = registry.read({ $0.leader }), leader.value.hostId != identity.hostId else { continue }
            let outcome = await connect(leader.value.address, .milliseconds(500))
            guard watch.record(outcome, term: leader.createRevision) else { continue }
            do {
                let deposed = try await withDeadline(.seconds(2)) { [store] in
                    try await store.txn(
                        [Compare(key: StoreKeys.leader, target: .createRevision(leader.createRevision))],
                        then: [.delete(key: StoreKeys.leader)], otherwise: []
                    ).succeeded
                }
                if deposed {
                    logger.warning(
                        "leader's process is gone (connection refused): its key is deleted to elect another now",
                        metadata: ["leader": "\(leader.value.hostId)", "address": "\(leader.value.address)"])
                    try await markOffline(leader.value.hostId)
                }
            } catch {
                logger.debug("could not depose the leader", metadata: ["error": "\(error)"])
            }
            watch = LeaderWatch()
        }
    }
}

extension LeaderProbe {
    /// The dead leader is a dead worker too: its heartbeat goes now (compared on its revision), so that no
    /// instance is placed on it while its lease runs out. A live host would write it again within seconds.
    func markOffline(_ hostId: String) async throws {
        guard let beat = registry.read({ $0.heartbeats[hostId] }) else { return }
        let key = StoreKeys.alive(hostId)
        _ = try await withDeadline(.seconds(2)) { [store] in
            try await store.txn([.unchanged(key, since: beat.modRevision)], then: [.delete(key: key)], otherwise: [])
        }
    }
}

/// A TCP connect to the host and port of an `http://` address, with a deadline.
public enum TCPProbe {
    public static func connect(_ address: String, timeout: Duration) async -> ProbeOutcome {
        guard let url = URL(string: address), let host = url.host else { return .silent }
        let port = url.port ?? (url.scheme == "https" ? 443 : 80)
        guard port > 0 else { return .silent }
        // The connect blocks (in poll, up to `timeout` for a silent host): on a Dispatch thread, never on one of
        // Swift concurrency's few cooperative threads.
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: probe(host: host, port: port, timeout: timeout)) }
        }
    }

    private static func probe(host: String, port: Int, timeout: Duration) -> ProbeOutcome {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let info = list else { return .silent }
        defer { freeaddrinfo(list) }
        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        guard fd >= 0 else { return .silent }
        defer { close(fd) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return .answered }
        if errno == ECONNREFUSED { return .refused }
        guard errno == EINPROGRESS else { return .silent }
        var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        let milliseconds = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        guard poll(&poller, 1, milliseconds) == 1 else { return .silent }
        var failure: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &length) == 0 else { return .silent }
        if failure == 0 { return .answered }
        return failure == ECONNREFUSED ? .refused : .silent
    }
}
