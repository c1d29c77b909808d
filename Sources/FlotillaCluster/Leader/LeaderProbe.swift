import FlotillaCore
import Foundation
import Logging
import ServiceLifecycle

/// On every follower: probes the leader's advertised address and, when its process is certainly gone (it
/// was reached before and now refuses connections, see ``LeaderWatch``), deletes the leader key, compared on
/// its create revision, so that a new leader is elected at once instead of after the lease TTL. A leader that
/// is merely slow or cut off is left to its lease.
public struct LeaderProbe: Service {
    let store: any ClusterStore
    let registry: RegistryCache
    let identity: HostIdentity
    let interval: Duration
    let reachability: any ReachabilityProbe
    let logger: Logger

    public init(
        store: any ClusterStore, registry: RegistryCache, identity: HostIdentity, interval: Duration = .milliseconds(200),
        reachability: any ReachabilityProbe,
        logger: Logger = Logger(label: "flotilla.leader-probe")
    ) {
        self.store = store
        self.registry = registry
        self.identity = identity
        self.interval = interval
        self.reachability = reachability
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
            let outcome = await reachability.probe(leader.value.address, timeout: .milliseconds(500))
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
        _ = try await registry.deleteHeartbeat(of: hostId, in: store)
    }
}
