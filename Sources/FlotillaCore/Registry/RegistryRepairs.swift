public import Foundation

/// One change the leader's health duty writes to the registry, guarded by the record's revision.
public enum RegistryRepair: Sendable, Equatable {
    /// Replace an instance record (rescheduled off a dead worker, or its deletion finished for it); a deletion
    /// releases the name in the same transaction (``InstanceTransitions/writeOps(old:new:)``).
    case replace(old: Versioned<Instance>, new: Instance)
    /// Remove a deleted instance's record once it has been kept long enough.
    case forget(Versioned<Instance>)

    /// The instance the repair is about.
    public var instanceId: String {
        switch self {
        case .replace(let old, _), .forget(let old): return old.value.id
        }
    }
}

/// What the leader does about workers that stopped heartbeating and about old records. Pure: it decides,
/// the cluster layer writes.
public struct RegistryRepairPolicy: Sendable, Equatable {
    /// How long a tombstone (an instance in `deleted`) is kept, so that a late reader still sees the deletion
    /// and a host that was away can still clean up after it.
    public var tombstoneRetention: TimeInterval

    public init(tombstoneRetention: TimeInterval = 3600) {
        self.tombstoneRetention = tombstoneRetention
    }

    /// The repairs for `state`, given the workers considered dead (offline for longer than the grace the
    /// leader allows them).
    ///
    /// - A live instance on a dead worker that should exist is rescheduled: unplaced, `pending`, its desired
    ///   state kept (paused becomes running: a new copy starts fresh), `migratedFrom` naming the dead worker
    ///   so that, if it ever returns, it deletes its leftover copy and nothing runs twice.
    /// - Except one that opted out (``HostLossPolicy/keep``): it stays placed on its worker and waits for it.
    /// - A live instance on a dead worker that was being deleted is recorded as deleted, with the same
    ///   `migratedFrom` marker, and its name is released.
    /// - A tombstone older than the retention is forgotten, unless its `migratedFrom` worker is still dead
    ///   (that worker has not cleaned up yet).
    public func repairs(in state: RegistryState, deadWorkers: Set<String>, now: Date) -> [RegistryRepair] {
        var result: [RegistryRepair] = []
        // Only what can need a repair: the live instances of dead workers, and the tombstones (the table's indexes).
        let candidates = deadWorkers.flatMap { state.instances.liveIds(onWorker: $0) }.compactMap { state.instances[$0] }
        for versioned in candidates + state.instances.tombstones {
            let instance = versioned.value
            if instance.isLive {
                guard let worker = instance.workerId, deadWorkers.contains(worker) else { continue }
                // It opted out of rescheduling: it keeps running on its host, which is never fenced for it.
                if instance.spec.placement.effectiveHostLoss == .keep && instance.desired != .deleted { continue }
                if instance.desired == .deleted {
                    var new = InstanceTransitions.finishDelete(
                        instance, reason: "deleted while worker \(worker) was offline", now: now)
                    new.migratedFrom = worker
                    result.append(.replace(old: versioned, new: new))
                } else {
                    let new = InstanceTransitions.returnToPending(
                        instance, from: worker, reason: "rescheduled: worker \(worker) went offline", now: now)
                    result.append(.replace(old: versioned, new: new))
                }
            } else {
                let age = now.timeIntervalSince(instance.updatedAt)
                guard age > tombstoneRetention else { continue }
                if let from = instance.migratedFrom, deadWorkers.contains(from) { continue }
                result.append(.forget(versioned))
            }
        }
        // In id order, so that two leaders deciding on the same state write in the same order. Sorting the
        // few repairs, not every instance: this runs every half second on the leader.
        return result.sorted { $0.instanceId < $1.instanceId }
    }
}

extension RegistryState {
    /// The workers that instances (live ones, or tombstones awaiting their old worker's clean-up) refer to
    /// and that are offline now: no heartbeat, or no worker record at all.
    public func offlineWorkersHoldingInstances() -> Set<String> {
        var referenced = instances.workersHoldingInstances
        for tombstone in instances.tombstones {
            if let from = tombstone.value.migratedFrom { referenced.insert(from) }
        }
        return referenced.filter { status(ofWorker: $0) == .offline }
    }
}
