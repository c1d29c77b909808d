import ArgumentParser
import FlotillaCluster
import FlotillaCore
import Foundation

/// Issue 5's benchmark (c): placements per second with many simulated workers in one process. Registers
/// `--workers` sim workers and `--instances` pending instances in the store, then times the leader's placement
/// duty placing them all (the scheduler plus its fenced, batched writes), and the pure scheduler alone.
struct PlacementBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "placement", abstract: "Placements per second with many simulated workers (issue 5, c).")

    @Option(help: "The store: sqlite or etcd://HOST:PORT,...") var store = "sqlite"
    @Option(help: "Simulated workers.") var workers = 1000
    @Option(help: "Pending instances to place.") var instances = 20000
    @Option(help: "Instances per placement transaction (at most 127 on etcd).") var batch = 100

    func run() async throws {
        let (workers, instances, batch) = (self.workers, self.instances, self.batch)
        try await withBenchStore(store) { store in
            let now = Date()
            var ops = try simulatedWorkers(workers, now: now)
            for i in 0..<instances {
                let instance = Instance(
                    id: UUID().uuidString.lowercased(), name: "bench-\(i)", kind: .container, backend: .sim,
                    spec: InstanceSpec(
                        config: InstanceConfig(image: "busybox"), resources: Resources(cpuCores: 0.5, memoryBytes: 256 << 20)),
                    createdAt: now)
                ops.append(.put(StoreKeys.instance(instance.id), try StoreCodec.encode(instance)))
            }
            try await putInChunks(ops, store)
            let lease = try await store.grantLease(ttl: .seconds(600))
            let record = LeaderRecord(hostId: "bench", address: "http://127.0.0.1:1", since: now)
            let won = try await store.txn(
                [.absent(StoreKeys.leader)],
                then: [.put(key: StoreKeys.leader, value: try StoreCodec.encode(record), lease: lease)], otherwise: [])
            guard won.succeeded else { throw ValidationError("the store already has a leader: use an empty store") }
            let leadership = Leadership(hostId: "bench", lease: lease, createRevision: won.revision, ttl: .seconds(600))
            let registry = RegistryCache(store: store)
            try await registry.load()
            let identity = HostIdentity(hostId: "bench", address: "http://127.0.0.1:1")

            // The pure scheduler, on the same state.
            let state = registry.snapshot
            let pending = state.instances.values.map { PlacementRequest($0.value) }
            let schedulable = state.schedulableWorkers(now: Date(), healthWindow: 3600)
            let pureStart = ContinuousClock.now
            let decisions = Scheduler.place(pending, on: schedulable)
            let pureSeconds = seconds(since: pureStart)
            let pureCount = decisions.filter { if case .placed = $0 { return true } else { return false } }.count

            let duty = PlacementDuty(store: store, registry: registry, identity: identity, batchSize: batch)
            let start = ContinuousClock.now
            let placed = try await duty.placePending(leadership)
            let total = seconds(since: start)
            print("store \(store.kind), \(schedulable.count) workers, \(pending.count) pending instances, batches of \(batch)")
            print(
                String(
                    format: "scheduler alone:                %8.0f placements/s (%d in %.3f s)", Double(pureCount) / pureSeconds,
                    pureCount, pureSeconds))
            print(
                String(
                    format: "placement duty (+ fenced writes): %6.0f placements/s (%d in %.3f s)", Double(placed) / total, placed,
                    total))
        }
    }
}
