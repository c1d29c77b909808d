import FlotillaCore
import Foundation

/// The gauges derived from the registry, computed at scrape time from one snapshot (pure: the state, this host's
/// id, the time). Every host's registry holds the same state at a revision, so every host reports the same
/// cluster-wide figures; only `flotilla_leader` and the reconcile lag are this host's own
/// (docs/decisions/0021-metrics.md).
public enum FleetGauges {
    /// Every sample for `state` as seen by host `hostId` at `now`.
    public static func samples(_ state: RegistryState, hostId: String, now: Date, healthWindow: TimeInterval) -> [GaugeSample] {
        var samples = leader(state, hostId: hostId)
        samples += instances(state)
        samples += workers(state, now: now, healthWindow: healthWindow)
        samples.append(GaugeSample("flotilla_agent_reconcile_lag_seconds", [], reconcileLag(state, hostId: hostId, now: now)))
        return samples
    }

    /// `flotilla_leader` (1 on the host that leads) and `flotilla_leader_term` (the leader key's create revision,
    /// which grows with every new term; 0 while nobody leads).
    public static func leader(_ state: RegistryState, hostId: String) -> [GaugeSample] {
        [
            GaugeSample("flotilla_leader", [], state.leader?.value.hostId == hostId ? 1 : 0),
            GaugeSample("flotilla_leader_term", [], Double(state.leader?.createRevision ?? 0)),
        ]
    }

    /// `flotilla_instances{state,backend}` for every live state and backend (0 included, so a series never vanishes
    /// between scrapes), and `flotilla_instances_pending`. Tombstones (deleted) are not instances.
    public static func instances(_ state: RegistryState) -> [GaugeSample] {
        var counts: [InstanceState: [BackendKind: Int]] = [:]
        for instance in state.liveInstances { counts[instance.state, default: [:]][instance.backend, default: 0] += 1 }
        var samples: [GaugeSample] = []
        for s in InstanceState.allCases where s != .deleted {
            for backend in BackendKind.allCases {
                samples.append(
                    GaugeSample(
                        "flotilla_instances", [.init("state", s.rawValue), .init("backend", backend.rawValue)],
                        Double(counts[s]?[backend] ?? 0)))
            }
        }
        let pending = counts[.pending]?.values.reduce(0, +) ?? 0
        samples.append(GaugeSample("flotilla_instances_pending", [], Double(pending)))
        return samples
    }

    /// Capacity, allocation and health of every registered worker, labelled `{worker,zone}` (zone "" when none).
    /// Memory and disk in bytes (workers account them in MiB and GiB).
    public static func workers(_ state: RegistryState, now: Date, healthWindow: TimeInterval) -> [GaugeSample] {
        var samples: [GaugeSample] = []
        for w in state.schedulableWorkers(now: now, healthWindow: healthWindow).sorted(by: { $0.id < $1.id }) {
            let labels: [GaugeSample.Label] = [.init("worker", w.id), .init("zone", w.zone ?? "")]
            func add(_ name: String, _ value: Double) { samples.append(GaugeSample(name, labels, value)) }
            add("flotilla_worker_capacity_cpus", w.capacity.cpuCores)
            add("flotilla_worker_capacity_memory_bytes", Double(w.capacity.memoryMB) * 1_048_576)
            add("flotilla_worker_capacity_disk_bytes", Double(w.capacity.diskGB) * 1_073_741_824)
            add("flotilla_worker_capacity_instances", Double(w.capacity.maxInstances))
            add("flotilla_worker_allocated_cpus", w.allocated.cpuCores)
            add("flotilla_worker_allocated_memory_bytes", Double(w.allocated.memoryMB) * 1_048_576)
            add("flotilla_worker_allocated_disk_bytes", Double(w.allocated.diskGB) * 1_073_741_824)
            add("flotilla_worker_allocated_instances", Double(w.allocated.instances))
            add("flotilla_worker_up", w.status != .offline && w.healthy ? 1 : 0)
        }
        return samples
    }

    /// How far this host's agent is behind the registry, in seconds: the age of the oldest change it still has to
    /// carry out. That is, among the live instances placed on `hostId` in a state the agent moves them out of
    /// (creating, starting, stopping, restarting, deleting: the API or the leader put them there), the longest time
    /// since the record last changed; 0 when there is none. Pending instances wait for the leader, not the agent; a
    /// restart backing off rests in a settled state and is not lag. Ages use the record's `updatedAt`, written by
    /// the host that made the change: clocks that disagree shift it by their difference.
    public static func reconcileLag(_ state: RegistryState, hostId: String, now: Date) -> Double {
        var oldest: Date?
        for instance in state.instances.live(onWorker: hostId) {
            guard instance.state.isTransitional, instance.state != .pending else { continue }
            if oldest.map({ instance.updatedAt < $0 }) ?? true { oldest = instance.updatedAt }
        }
        return oldest.map { max(0, now.timeIntervalSince($0)) } ?? 0
    }
}
