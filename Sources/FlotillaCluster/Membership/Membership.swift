import FlotillaCore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Registers this host as a worker and keeps it alive: a persistent worker record plus a heartbeat key
/// under a lease. When the host stops (or is cut off), the lease expires and every host sees it `offline`.
public final class Membership: Service, Sendable {
    private let store: any ClusterStore
    private let identity: HostIdentity
    private let timings: ClusterTimings
    private let clock: WallClock
    private let record: Mutex<Worker>
    private var worker: Worker { record.withLock { $0 } }
    /// How often the heartbeat record is rewritten, paced for the fleet's size (the lease's renewals are not).
    private let heartbeats: HeartbeatPlan
    private let logger: Logger
    /// The lease of the current registration.
    private let lease = Mutex<LeaseID?>(nil)
    /// The identity of this process's data folder, carried in every heartbeat.
    private let nodeKey: String?
    /// This host's backends' health, carried in every heartbeat (and written at once when it changes).
    private let health: BackendHealth?
    /// Heartbeat failures in a row: the first is logged as a warning, the next at debug, the recovery once.
    private let failures = Mutex(0)
    /// This host's standing with the store: every renewal is recorded, so the agent can fence when they stop.
    private let session: StoreSession?
    /// The registry, to notice at once when this host's heartbeat vanished (a follower or a peer deleted it).
    private let registry: RegistryCache?
    /// Where this host answers peer probes, carried in every heartbeat (docs/decisions/0035-peer-probes.md).
    private let probeAddress: String?

    /// - Parameters:
    ///   - worker: this host's registration; its `adminStatus` is kept from an earlier registration.
    ///   - nodeKey: the identity of this host's data folder. A registration is refused while a heartbeat with
    ///     another node key is alive under the same worker id (another host uses that id).
    public init(
        store: any ClusterStore, identity: HostIdentity, timings: ClusterTimings = ClusterTimings(), clock: WallClock = .system,
        worker: Worker, nodeKey: String? = nil,
        health: BackendHealth? = nil, session: StoreSession? = nil, registry: RegistryCache? = nil,
        heartbeats: HeartbeatPlan = HeartbeatPlan(), probeAddress: String? = nil,
        logger: Logger = Logger(label: "flotilla.membership")
    ) {
        self.store = store
        self.identity = identity
        self.timings = timings
        self.clock = clock
        self.record = Mutex(worker)
        self.nodeKey = nodeKey
        self.health = health
        self.session = session
        self.registry = registry
        self.heartbeats = heartbeats
        self.probeAddress = probeAddress
        self.logger = logger
    }

    private func heartbeat() -> Heartbeat {
        let down = health?.unavailable ?? [:]
        return Heartbeat(
            workerId: worker.id, at: clock.now, nodeKey: nodeKey,
            unavailableBackends: down.isEmpty ? nil : Dictionary(uniqueKeysWithValues: down.map { ($0.key.rawValue, $0.value) }),
            probeAddress: probeAddress)
    }

    /// Registers once (used at start-up, before the host serves requests).
    public func register() async throws -> LeaseID {
        var sent = ContinuousClock.now
        var lease = try await grantLease()
        let key = StoreKeys.worker(worker.id)
        let aliveKey = StoreKeys.alive(worker.id)
        for _ in 0..<16 {
            let existing = try await store.get(key)
            let alive = try await store.get(aliveKey)
            if let alive, let other = try? StoreCodec.decode(Heartbeat.self, from: alive.value),
                let theirs = other.nodeKey, let nodeKey, theirs != nodeKey
            {
                try? await store.revokeLease(lease)
                throw HostIdentityConflict(
                    workerId: worker.id, address: existing.flatMap { try? StoreCodec.decode(Worker.self, from: $0.value) }?.address)
            }
            var record = worker
            if let existing, let old = try? StoreCodec.decode(Worker.self, from: existing.value) {
                record.adminStatus = old.adminStatus
            }
            let compare: Compare = existing.map { .unchanged(key, since: $0.modRevision) } ?? .absent(key)
            let aliveCompare: Compare = alive.map { .unchanged(aliveKey, since: $0.modRevision) } ?? .absent(aliveKey)
            let beat = heartbeat()
            let result: TxnResult
            do {
                result = try await store.txn(
                    [compare, aliveCompare],
                    then: [
                        .put(key, try StoreCodec.encode(record)),
                        .put(key: StoreKeys.alive(worker.id), value: try StoreCodec.encode(beat), lease: lease),
                    ], otherwise: [])
            } catch StoreError.leaseNotFound {
                // The lease expired before the registration was written (a store slow under many registrations at
                // once): a new one, and the registration again.
                sent = ContinuousClock.now
                lease = try await grantLease()
                continue
            }
            if result.succeeded {
                session?.renewed(sentAt: sent, revision: result.revision)
                failures.withLock { $0 = 0 }
                logger.info("worker registered", metadata: ["worker": "\(worker.id)", "lease": "\(lease)"])
                self.lease.withLock { $0 = lease }
                return lease
            }
        }
        throw StoreError.unavailable("could not register worker \(worker.id): too many concurrent changes")
    }

    private func grantLease() async throws -> LeaseID {
        try await withDeadline(timings.leaseTTL) { [store, timings] in try await store.grantLease(ttl: timings.leaseTTL) }
    }

    /// Changes the address other hosts reach this one at (known only once the server bound its port, when
    /// it listens on port 0) and writes it into the registration.
    public func advertise(_ address: String) async throws {
        record.withLock { $0.address = address }
        _ = try await store.update(StoreKeys.worker(worker.id)) { kv -> StoreChange? in
            guard let kv, var stored = try? StoreCodec.decode(Worker.self, from: kv.value) else { return nil }
            stored.address = address
            return StoreChange(ops: [.put(kv.key, try StoreCodec.encode(stored))])
        }
    }

    /// Runs until the task is cancelled or, in a `ServiceGroup`, until graceful shutdown.
    public func run() async throws {
        try await runUntilShutdown { try await self.runUntilCancelled() }
    }

    private func runUntilCancelled() async throws {
        var lease = self.lease.withLock { $0 }
        var backoff = Duration.milliseconds(200)
        while !Task.isCancelled {
            do {
                let current: LeaseID
                if let lease { current = lease } else { current = try await register() }
                lease = current
                try await keepAlive(current)
            } catch is CancellationError {
                break
            } catch StoreError.leaseNotFound {
                logger.warning("worker lease expired; registering again", metadata: ["worker": "\(worker.id)"])
                lease = nil
            } catch let conflict as HostIdentityConflict {
                // Another host took this id while this one was away: it is that host's now. Stop, say why once.
                logger.error("\(conflict.description)")
                throw conflict
            } catch {
                if Task.isCancelled { break }
                failed(error)
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, timings.leaseTTL / 3)
                continue
            }
            backoff = .milliseconds(200)
        }
        if let lease {
            // Leaving on purpose: go offline at once instead of waiting for the TTL.
            await revokeAfterCancellation(lease, store: store)
            logger.info("worker left", metadata: ["worker": "\(worker.id)"])
        }
    }

    private func keepAlive(_ lease: LeaseID) async throws {
        let changes = health?.updates()
        try await withThrowingTaskGroup(of: Void.self) { group in
            let interval = self.timings.leaseTTL / 3
            // Renewals every TTL/3, on their own: a slow record write (a replicated write, seconds on a loaded store)
            // must not hold up the renewal that keeps the lease (docs/decisions/0034-heartbeats-at-scale.md).
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: interval)
                    // Deleted by a follower or a peer that took this host for dead (`LeaderProbe`, `PeerProbe`): the
                    // leader counts this host offline while its lease lives, so a keep-alive alone no longer keeps it
                    // acting; only writing the heartbeat again does (else the fence rises, ahead of the leader's grace).
                    try await self.renew(lease, keepsSession: !self.vanished)
                }
            }
            // The record: rewritten every record interval (paced for the fleet), and at once when it is needed. A
            // write that fails is tried again at the next tick; the renewals go on meanwhile (a lost lease ends both).
            group.addTask {
                // A random start, so that workers registered together do not rewrite their records together.
                var sinceBeat = self.recordInterval * Double.random(in: 0..<1)
                var retrying = false
                // At least every tenth of the lease (every second at least), so that a heartbeat deleted while this
                // host lives (by a peer, with a long lease at scale) is written again in seconds, not a third of the
                // lease later.
                let tick = min(interval, max(.seconds(1), self.timings.leaseTTL / 10))
                while !Task.isCancelled {
                    try await Task.sleep(for: tick)
                    sinceBeat += tick
                    // Fenced and back: a heartbeat now, whose revision the agent waits for in its registry. Deleted:
                    // written again now, so that the leader's grace runs from this host's last renewal, not from an
                    // earlier deletion.
                    guard retrying || sinceBeat >= self.recordInterval || self.vanished || self.session?.awaitsRejoinWrite == true
                    else { continue }
                    do {
                        try await self.beat(lease)
                        sinceBeat = .zero
                        retrying = false
                    } catch let error where !(error is CancellationError) && error as? StoreError != .leaseNotFound(lease) {
                        self.failed(error)
                        retrying = true
                    }
                }
            }
            if let changes {
                // A backend went down or came back: every host's scheduler learns it now, not at the next beat.
                group.addTask {
                    for await _ in changes { try await self.beat(lease) }
                    // The health service ended (shutdown): the heartbeat goes on until this one is cancelled.
                    while !Task.isCancelled { try await Task.sleep(for: .seconds(3600)) }
                }
            }
            try await group.next()
            group.cancelAll()
        }
        throw CancellationError()
    }

    /// Counts a failed renewal or record write; the first in a row is a warning, the next ones debug.
    private func failed(_ error: any Error) {
        let failing = failures.withLock {
            $0 += 1
            return $0
        }
        logger.log(
            level: failing == 1 ? .warning : .debug, "heartbeat failed; retrying",
            metadata: ["error": "\(error)", "failures": "\(failing)"])
    }

    /// Whether this host's heartbeat is gone from its registry while its lease lives (a follower deleted it).
    private var vanished: Bool { registry.map { r in r.read { $0.heartbeats[self.worker.id] == nil } } ?? false }

    /// How often the record is rewritten now: for the fleet this host's registry knows (itself alone without one).
    private var recordInterval: Duration { heartbeats.recordInterval(workers: registry?.read { $0.workers.count } ?? 1) }

    /// Renews the lease within a deadline of one lease TTL (a blackholed store must not hold it for longer).
    /// - Parameter keepsSession: whether the renewal counts as this host's standing with the store (not while its
    ///   heartbeat is gone from the registry: a live lease does not make the leader count it alive).
    private func renew(_ lease: LeaseID, keepsSession: Bool) async throws {
        let sent = ContinuousClock.now
        _ = try await withDeadline(timings.leaseTTL) { [store] in try await store.keepAlive(lease) }
        if keepsSession { session?.renewed(sentAt: sent) }
    }

    private func beat(_ lease: LeaseID) async throws {
        let sent = ContinuousClock.now
        let value = try StoreCodec.encode(heartbeat())
        let key = StoreKeys.alive(worker.id)
        let revision = try await withDeadline(timings.leaseTTL) { [store] in try await store.put(key, value: value, lease: lease) }
        session?.renewed(sentAt: sent, revision: revision)
        let failed = failures.withLock { count in
            defer { count = 0 }
            return count
        }
        if failed > 0 { logger.info("heartbeat written again", metadata: ["failures": "\(failed)"]) }
    }
}
