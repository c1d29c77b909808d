import FlotillaCore
import Foundation
import Logging

/// The leader's health monitor and garbage collector. A worker that has had no heartbeat for `grace` is
/// dead: its instances are rescheduled on the others (or their deletion finished for them), each marked so
/// that the worker, if it returns, deletes its leftover copies. Old tombstones are forgotten. Every write is
/// fenced by the leader key and guarded by the record's revision (``RegistryRepairPolicy`` decides).
public struct HealthDuty: LeaderDuty {
    public let name = "health"
    let store: any ClusterStore
    let registry: RegistryCache
    let identity: HostIdentity
    let clock: WallClock
    /// How long a worker may stay offline before its instances are rescheduled (a restart fits in it).
    let grace: Duration
    let interval: Duration
    /// How often old `Idempotency-Key` records are looked for.
    let sweepInterval: Duration
    let policy: RegistryRepairPolicy
    let logger: Logger

    public init(
        store: any ClusterStore, registry: RegistryCache, identity: HostIdentity, clock: WallClock = .system,
        grace: Duration = .seconds(15),
        interval: Duration = .milliseconds(500), sweepInterval: Duration = .seconds(600),
        policy: RegistryRepairPolicy = RegistryRepairPolicy(),
        logger: Logger = Logger(label: "flotilla.health")
    ) {
        self.store = store
        self.registry = registry
        self.identity = identity
        self.clock = clock
        self.grace = grace
        self.interval = interval
        self.sweepInterval = sweepInterval
        self.policy = policy
        self.logger = logger
    }

    public func lead(_ leadership: Leadership) async throws {
        let monotonic = ContinuousClock()
        // When this leader first saw each worker offline: a new leader gives every worker the whole grace.
        var offlineSince: [String: ContinuousClock.Instant] = [:]
        var lastSweep: ContinuousClock.Instant?
        while true {
            try Task.checkCancellation()
            let state = registry.snapshot
            let offline = state.offlineWorkersHoldingInstances()
            let now = monotonic.now
            for gone in offlineSince.keys where !offline.contains(gone) {
                logger.info("worker back", metadata: ["worker": "\(gone)"])
            }
            offlineSince = offlineSince.filter { offline.contains($0.key) }
            for worker in offline where offlineSince[worker] == nil {
                offlineSince[worker] = now
                logger.info("worker offline", metadata: ["worker": "\(worker)", "grace": "\(grace)"])
            }
            let dead = Set(offlineSince.filter { $0.value.duration(to: now) >= grace }.keys)
            for repair in policy.repairs(in: state, deadWorkers: dead, now: clock.now) {
                try await apply(repair, leadership)
            }
            if lastSweep.map({ $0.duration(to: now) >= sweepInterval }) ?? true {
                lastSweep = now
                try await forgetOldIdempotencyKeys(leadership)
            }
            // The end of a round, for whoever must know that the duty looked (the tests wait for rounds).
            logger.trace("health round done", metadata: ["offline": "\(offlineSince.count)"])
            try await Task.sleep(for: interval)
        }
    }

    /// Deletes `Idempotency-Key` records older than their retention (they live outside the watched prefix,
    /// so they are read from the store), each compared on its revision.
    private func forgetOldIdempotencyKeys(_ leadership: Leadership) async throws {
        let listing = try await withDeadline(.seconds(10)) { [store] in try await store.range(prefix: StoreKeys.idempotency) }
        let cutoff = clock.now.addingTimeInterval(-IdempotencyRecord.retention)
        var forgotten = 0
        for kv in listing.kvs {
            let record = try? StoreCodec.decode(IdempotencyRecord.self, from: kv.value)
            guard (record?.createdAt ?? .distantPast) < cutoff else { continue }
            if try await store.fencedTxn(leadership, [.unchanged(kv.key, since: kv.modRevision)], then: [.delete(key: kv.key)]) {
                forgotten += 1
            }
        }
        if forgotten > 0 { logger.info("idempotency keys forgotten", metadata: ["count": "\(forgotten)"]) }
    }

    /// Writes one repair; a record changed meanwhile is left for the next round, which sees the change.
    private func apply(_ repair: RegistryRepair, _ leadership: Leadership) async throws {
        switch repair {
        case .replace(let old, let new):
            let key = StoreKeys.instance(new.id)
            let ops = try InstanceTransitions.writeOps(old: old.value, new: new)
            // Only while the worker is still gone: one that came back (its heartbeat written again) keeps its
            // instances, even if this leader has not seen it return yet (docs/decisions/0016-self-fencing.md).
            let gone = old.value.workerId.map { [Compare.absent(StoreKeys.alive($0))] } ?? []
            guard try await store.fencedTxn(leadership, [.unchanged(key, since: old.modRevision)] + gone, then: ops) else { return }
            logger.info(
                new.isLive ? "instance rescheduled" : "instance deletion finished for an offline worker",
                metadata: ["id": "\(new.id)", "from": "\(new.migratedFrom ?? "")"])
        case .forget(let old):
            let key = StoreKeys.instance(old.value.id)
            guard try await store.fencedTxn(leadership, [.unchanged(key, since: old.modRevision)], then: [.delete(key: key)])
            else { return }
            logger.debug("tombstone forgotten", metadata: ["id": "\(old.value.id)"])
        }
    }
}
