import FlotillaCore
import Foundation
import Logging
import Tracing

/// The leader's scheduler loop: places pending instances with the pure ``Scheduler`` and writes each batch
/// in one transaction fenced by the leader key and guarded by every instance's revision.
public struct PlacementDuty: LeaderDuty {
    public let name = "placement"
    let store: any ClusterStore
    let registry: RegistryCache
    let identity: HostIdentity
    let timings: ClusterTimings
    let clock: WallClock
    let batchSize: Int
    let logger: Logger
    /// `flotilla_placements_total` and `flotilla_placement_duration_seconds` (ADR 0021).
    let metrics: ClusterMetrics

    /// `batchSize` instances per transaction: each adds a compare and a put, and etcd refuses a transaction
    /// with more than 128 of either (the fence is one more compare).
    public init(
        store: any ClusterStore, registry: RegistryCache, identity: HostIdentity, timings: ClusterTimings = ClusterTimings(),
        clock: WallClock = .system, batchSize: Int = 100,
        logger: Logger = Logger(label: "flotilla.scheduler"), metrics: ClusterMetrics = .off
    ) {
        self.metrics = metrics
        self.store = store
        self.registry = registry
        self.identity = identity
        self.timings = timings
        self.clock = clock
        self.batchSize = min(max(batchSize, 1), 127)
        self.logger = logger
    }

    public func lead(_ leadership: Leadership) async throws {
        let updates = registry.updates()
        _ = try await placePending(leadership)
        for await update in updates {
            try Task.checkCancellation()
            // Only instance and worker changes can make a placement possible.
            let relevant =
                update.changes.isEmpty
                || update.changes.contains {
                    switch $0 {
                    case .instance, .worker: return true
                    default: return false
                    }
                }
            if relevant { _ = try await placePending(leadership) }
        }
    }

    /// Places every pending instance it can; returns how many it placed.
    @discardableResult
    public func placePending(_ leadership: Leadership) async throws -> Int {
        let state = registry.snapshot
        let pending = state.instances.pending
            .sorted { ($0.value.createdAt, $0.value.id) < ($1.value.createdAt, $1.value.id) }
        guard !pending.isEmpty else { return 0 }
        return try await TraceSampling.withSpan("placement") { span in
            span.attributes["flotilla.placement.pending"] = pending.count
            let placed = try await place(pending, state, leadership)
            span.attributes["flotilla.placement.placed"] = placed
            return placed
        }
    }

    /// One pass of the scheduler over `pending`, written in batches.
    private func place(_ pending: [Versioned<Instance>], _ state: RegistryState, _ leadership: Leadership) async throws -> Int {
        let workers = state.schedulableWorkers(now: clock.now, healthWindow: timings.healthWindow)
        let decisions = Scheduler.place(pending.map { PlacementRequest($0.value) }, on: workers)
        var placed = 0
        var batch: [(Versioned<Instance>, Instance)] = []
        for (versioned, decision) in zip(pending, decisions) {
            let now = clock.now
            switch decision {
            case .placed(let workerId):
                batch.append((versioned, InstanceTransitions.place(versioned.value, on: workerId, now: now)))
            case .unplaceable(let reason):
                guard let waiting = InstanceTransitions.waitForWorker(versioned.value, reason: reason, now: now) else {
                    continue
                }
                batch.append((versioned, waiting))
            }
            if batch.count >= batchSize {
                placed += try await write(batch, leadership)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { placed += try await write(batch, leadership) }
        return placed
    }

    /// One transaction for the batch; if any instance changed meanwhile, each is retried alone.
    private func write(_ batch: [(Versioned<Instance>, Instance)], _ leadership: Leadership) async throws -> Int {
        var compares: [Compare] = []
        var ops: [TxnOp] = []
        for (old, new) in batch {
            let key = StoreKeys.instance(new.id)
            compares.append(.unchanged(key, since: old.modRevision))
            ops.append(.put(key, try StoreCodec.encode(new)))
        }
        let placed = batch.filter { $0.1.workerId != nil }.count
        if try await store.fencedTxn(leadership, compares, then: ops) {
            if placed > 0 { logger.debug("placed instances", metadata: ["count": "\(placed)"]) }
            for (old, new) in batch { recordPlacement(old.value, new) }
            return placed
        }
        // Raced: write one by one so one changed instance does not hold back the rest.
        var count = 0
        for (old, new) in batch {
            let key = StoreKeys.instance(new.id)
            let applied = try await store.fencedTxn(
                leadership, [.unchanged(key, since: old.modRevision)], then: [.put(key, try StoreCodec.encode(new))])
            if applied, new.workerId != nil { count += 1 }
            if applied { recordPlacement(old.value, new) }
        }
        return count
    }

    /// Counts one written placement decision: placed (with how long the instance waited since it was created, or
    /// since it last went back to pending) or unplaceable.
    private func recordPlacement(_ old: Instance, _ new: Instance) {
        guard new.workerId != nil else { return metrics.placementUnplaceable() }
        let waitingSince = old.launchedAt == nil && old.migratedFrom == nil ? old.createdAt : old.updatedAt
        metrics.placementPlaced(after: new.updatedAt.timeIntervalSince(waitingSince))
    }
}
