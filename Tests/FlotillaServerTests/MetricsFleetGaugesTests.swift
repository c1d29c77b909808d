import FlotillaCluster
import FlotillaCore
import Foundation
import Testing

/// The gauges derived from a registry snapshot at scrape time (pure, ADR 0021).
@Suite("Metrics: fleet gauges from the registry")
struct MetricsFleetGaugesTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func worker(_ id: String, zone: String?) -> Versioned<Worker> {
        Versioned(
            value: Worker(
                id: id, hostname: id, address: "http://127.0.0.1:1", zone: zone, capabilities: [.sim],
                capacity: WorkerCapacity(cpuCores: 8, memoryMB: 4096, diskGB: 10, maxInstances: 20), startedAt: now),
            modRevision: 1, createRevision: 1)
    }

    static func instance(
        _ id: String, on worker: String?, state: InstanceState, backend: BackendKind = .sim, changed secondsAgo: Double = 0
    ) -> Versioned<Instance> {
        var i = Instance(
            id: id, name: id, kind: .container, backend: backend,
            spec: InstanceSpec(
                config: .init(image: "busybox"), resources: Resources(cpuCores: 2, memoryBytes: 1 << 30, storageBytes: 3 << 30)),
            createdAt: now.addingTimeInterval(-3600))
        i.workerId = worker
        i.state = state
        i.updatedAt = now.addingTimeInterval(-secondsAgo)
        return Versioned(value: i, modRevision: 5, createRevision: 5)
    }

    static func state(_ instances: [Versioned<Instance>], leader: String? = "h1", alive: [String] = ["h1"]) -> RegistryState {
        var s = RegistryState()
        s.workers = ["h1": worker("h1", zone: "z1"), "h2": worker("h2", zone: nil)]
        for id in alive {
            s.heartbeats[id] = Versioned(value: Heartbeat(workerId: id, at: now.addingTimeInterval(-1)), modRevision: 2, createRevision: 2)
        }
        s.leader = leader.map { Versioned(value: LeaderRecord(hostId: $0, address: "", since: now), modRevision: 9, createRevision: 9) }
        for i in instances { s.instances[i.value.id] = i }
        return s
    }

    static func value(_ samples: [GaugeSample], _ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { s in s.name == name && Dictionary(uniqueKeysWithValues: s.labels.map { ($0.name, $0.value) }) == labels }?.value
    }

    @Test("leader: 1 on the host that leads, 0 elsewhere; the term is the leader key's create revision, 0 without a leader")
    func leader() {
        let s = Self.state([])
        #expect(Self.value(FleetGauges.leader(s, hostId: "h1"), "flotilla_leader") == 1)
        #expect(Self.value(FleetGauges.leader(s, hostId: "h2"), "flotilla_leader") == 0)
        #expect(Self.value(FleetGauges.leader(s, hostId: "h2"), "flotilla_leader_term") == 9)
        let none = Self.state([], leader: nil)
        #expect(Self.value(FleetGauges.leader(none, hostId: "h1"), "flotilla_leader") == 0)
        #expect(Self.value(FleetGauges.leader(none, hostId: "h1"), "flotilla_leader_term") == 0)
    }

    @Test("instances by state and backend: every pair present, 0 included; tombstones not counted; pending counted apart")
    func instances() {
        let s = Self.state([
            Self.instance("a", on: "h1", state: .running), Self.instance("b", on: "h1", state: .running),
            Self.instance("c", on: "h2", state: .stopped, backend: .docker), Self.instance("d", on: nil, state: .pending),
            Self.instance("e", on: "h1", state: .deleted),
        ])
        let samples = FleetGauges.instances(s)
        #expect(Self.value(samples, "flotilla_instances", ["state": "running", "backend": "sim"]) == 2)
        #expect(Self.value(samples, "flotilla_instances", ["state": "stopped", "backend": "docker"]) == 1)
        #expect(Self.value(samples, "flotilla_instances", ["state": "pending", "backend": "sim"]) == 1)
        #expect(Self.value(samples, "flotilla_instances", ["state": "paused", "backend": "kvm"]) == 0)
        #expect(Self.value(samples, "flotilla_instances", ["state": "deleted", "backend": "sim"]) == nil)
        #expect(Self.value(samples, "flotilla_instances_pending") == 1)
        #expect(samples.count == (InstanceState.allCases.count - 1) * BackendKind.allCases.count + 1)
    }

    @Test("each worker's capacity and allocation in base units, its zone (\"\" when none), up only with a fresh heartbeat")
    func workers() {
        let s = Self.state([Self.instance("a", on: "h1", state: .running), Self.instance("b", on: "h1", state: .stopped)])
        let samples = FleetGauges.workers(s, now: Self.now, healthWindow: 60)
        let h1 = ["worker": "h1", "zone": "z1"]
        let h2 = ["worker": "h2", "zone": ""]
        #expect(Self.value(samples, "flotilla_worker_capacity_cpus", h1) == 8)
        #expect(Self.value(samples, "flotilla_worker_capacity_memory_bytes", h1) == Double(4096 * 1_048_576))
        #expect(Self.value(samples, "flotilla_worker_capacity_disk_bytes", h1) == Double(10 * 1_073_741_824))
        #expect(Self.value(samples, "flotilla_worker_capacity_instances", h1) == 20)
        #expect(Self.value(samples, "flotilla_worker_allocated_cpus", h1) == 4)
        #expect(Self.value(samples, "flotilla_worker_allocated_memory_bytes", h1) == Double(2 * 1_073_741_824))
        #expect(Self.value(samples, "flotilla_worker_allocated_disk_bytes", h1) == Double(6 * 1_073_741_824))
        #expect(Self.value(samples, "flotilla_worker_allocated_instances", h1) == 2)
        #expect(Self.value(samples, "flotilla_worker_up", h1) == 1)
        #expect(Self.value(samples, "flotilla_worker_up", h2) == 0)
        #expect(Self.value(samples, "flotilla_worker_allocated_cpus", h2) == 0)
        // A heartbeat older than the health window: not up.
        #expect(Self.value(FleetGauges.workers(s, now: Self.now, healthWindow: 0.5), "flotilla_worker_up", h1) == 0)
    }

    @Test(
        "reconcile lag: the oldest change this host's agent still has to carry out",
        arguments: [
            // (instances as (state, worker, seconds since the change), expected lag)
            ([(InstanceState.running, "h1", 30.0)], 0.0),
            ([(.starting, "h1", 4)], 4),
            ([(.stopping, "h1", 2), (.creating, "h1", 7), (.running, "h1", 100)], 7),
            ([(.deleting, "h1", 3), (.restarting, "h1", 1)], 3),
            // Pending waits for the leader; another host's instances are its agent's.
            ([(.pending, "h1", 50), (.starting, "h2", 60)], 0),
            // Settled ones (a restart backing off rests in stopped or error) are not lag.
            ([(.stopped, "h1", 40), (.error, "h1", 40), (.paused, "h1", 40)], 0),
            // A change stamped ahead of this host's clock: never negative.
            ([(.starting, "h1", -5)], 0),
        ])
    func reconcileLag(instances: [(InstanceState, String, Double)], lag: Double) {
        let s = Self.state(
            instances.enumerated().map { n, i in Self.instance("i\(n)", on: i.1, state: i.0, changed: i.2) })
        #expect(FleetGauges.reconcileLag(s, hostId: "h1", now: Self.now) == lag)
    }
}
