import FlotillaCore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Campaigns for the leader key (lease-bound; the first to create it wins) and runs the leader duties while
/// this host holds it. Loses leadership when its lease cannot be renewed or the key changes hands.
public final class LeaderElection: Service, Sendable {
    private let store: any ClusterStore
    private let registry: RegistryCache
    private let identity: HostIdentity
    private let timings: ClusterTimings
    private let clock: WallClock
    private let duties: [any LeaderDuty]
    private let logger: Logger
    private let current = Mutex<Leadership?>(nil)

    public init(
        store: any ClusterStore, registry: RegistryCache, identity: HostIdentity, timings: ClusterTimings = ClusterTimings(),
        clock: WallClock = .system, duties: [any LeaderDuty],
        logger: Logger = Logger(label: "flotilla.leader")
    ) {
        self.store = store
        self.registry = registry
        self.identity = identity
        self.timings = timings
        self.clock = clock
        self.duties = duties
        self.logger = logger
    }

    /// This host's leadership, while it leads.
    public var leadership: Leadership? { current.withLock { $0 } }

    /// Runs until the task is cancelled or, in a `ServiceGroup`, until graceful shutdown.
    public func run() async throws {
        try await runUntilShutdown { try await self.runUntilCancelled() }
    }

    private func runUntilCancelled() async throws {
        while !Task.isCancelled {
            do {
                if let won = try await campaign() {
                    try await lead(won)
                } else {
                    await waitForVacancy()
                }
            } catch is CancellationError {
                break
            } catch {
                if Task.isCancelled { break }
                logger.warning("election round failed", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .milliseconds(300))
            }
        }
    }

    /// One attempt: creates the leader key if nobody holds it.
    private func campaign() async throws -> Leadership? {
        let sent = ContinuousClock.now
        let lease = try await store.grantLease(ttl: timings.leaseTTL)
        let record = LeaderRecord(hostId: identity.hostId, address: identity.address, since: clock.now)
        let result = try await store.txn(
            [.absent(StoreKeys.leader)],
            then: [.put(key: StoreKeys.leader, value: try StoreCodec.encode(record), lease: lease)],
            otherwise: [])
        guard result.succeeded else {
            try? await store.revokeLease(lease)
            logger.trace("campaign lost: the leader key is held")
            return nil
        }
        return Leadership(
            hostId: identity.hostId, lease: lease, createRevision: result.revision, ttl: timings.leaseTTL, grantedAt: sent)
    }

    private func waitForVacancy() async {
        // The registry sees the key vanish; poll the store too, in case the watch lags.
        _ = await registry.wait(timeout: timings.leaseTTL) { $0.leader == nil }
    }

    private func lead(_ leadership: Leadership) async throws {
        current.withLock { $0 = leadership }
        logger.info("became leader", metadata: ["host": "\(identity.hostId)", "revision": "\(leadership.createRevision)"])
        defer {
            current.withLock { $0 = nil }
            logger.info("leadership ended", metadata: ["host": "\(identity.hostId)"])
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.keepLeadership(leadership) }
            for duty in duties {
                group.addTask {
                    while !Task.isCancelled {
                        do {
                            try await duty.lead(leadership)
                        } catch is CancellationError {
                            return
                        } catch is LeadershipLapsed {
                            self.logger.warning(
                                "leader lease lapsed on this host's clock; stepping down", metadata: ["duty": "\(duty.name)"])
                            return
                        } catch {
                            self.logger.warning(
                                "leader duty failed; restarting it", metadata: ["duty": "\(duty.name)", "error": "\(error)"])
                            try? await Task.sleep(for: .milliseconds(500))
                        }
                    }
                }
            }
            // Whatever ends first (lost lease, shutdown) ends the term.
            defer { group.cancelAll() }
            try await group.next()
        }
        if Task.isCancelled {
            // Stepping down on purpose: free the key at once so another host leads without waiting for the TTL.
            await revokeAfterCancellation(leadership.lease, store: store)
        }
    }

    /// Renews the lease; returns when leadership is lost.
    private func keepLeadership(_ leadership: Leadership) async throws {
        let interval = timings.leaseTTL / 3
        while !Task.isCancelled {
            try await Task.sleep(for: interval)
            // Stopped or cut off past the TTL: the key may be another's by now. A lapsed term is not revived.
            guard leadership.holds else {
                logger.warning("leader lease lapsed on this host's clock; stepping down")
                return
            }
            let sent = ContinuousClock.now
            var expired = false
            do {
                try await store.keepAlive(leadership.lease)
                leadership.renewed(sentAt: sent)
            } catch StoreError.leaseNotFound {
                expired = true
            }
            // A renewal sent before a stop (SIGSTOP) and answered after it: this host's own clock decides first.
            guard leadership.holds else {
                logger.warning("leader lease lapsed on this host's clock; stepping down")
                return
            }
            if expired {
                logger.warning("leader lease expired")
                return
            }
            let held = try await store.get(StoreKeys.leader)
            if held?.createRevision != leadership.createRevision {
                logger.warning("leader key changed hands")
                return
            }
        }
    }
}
