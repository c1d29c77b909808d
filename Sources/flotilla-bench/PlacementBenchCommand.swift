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
    @Option(help: "The instances' placement strategy: spread or binpack.") var strategy = PlacementConstraints.Strategy.spread

    func run() async throws {
        let (workers, instances, batch, strategy) = (self.workers, self.instances, self.batch, self.strategy)
        try await withBenchStore(store) { store in
            let now = Date()
            var ops = try simulatedWorkers(workers, now: now)
            for i in 0..<instances {
                let instance = Instance(
                    id: UUID().uuidString.lowercased(), name: "bench-\(i)", kind: .container, backend: .sim,
                    spec: InstanceSpec(
                        config: InstanceConfig(image: "busybox"), resources: Resources(cpuCores: 0.5, memoryBytes: 256 << 20),
                        placement: PlacementConstraints(strategy: strategy)),
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

            // The pure scheduler, indexed and scanning, on the same state: the same decisions, so the same quality.
            let state = registry.snapshot
            let pending = state.instances.values.map { PlacementRequest($0.value) }.sorted { $0.instanceId < $1.instanceId }
            let schedulable = state.schedulableWorkers(now: Date(), healthWindow: 3600)
            let (decisions, pureSeconds) = timed { Scheduler.place(pending, on: schedulable) }
            let pureCount = PlacementQuality(decisions, schedulable).placed
            let duty = PlacementDuty(store: store, registry: registry, identity: identity, batchSize: batch)
            let start = ContinuousClock.now
            let placed = try await duty.placePending(leadership)
            let total = seconds(since: start)
            // After the duty: a scan of a large fleet takes longer than the workers' heartbeats stay fresh.
            let (scanned, scanSeconds) = timed { Scheduler.placeByScanning(pending, on: schedulable) }
            print("store \(store.kind), \(schedulable.count) workers, \(pending.count) pending instances, batches of \(batch)")
            print(
                String(
                    format: "scheduler, indexed:  %8.0f placements/s (%d in %.3f s)", Double(pureCount) / pureSeconds, pureCount,
                    pureSeconds))
            print(
                String(
                    format: "scheduler, scanning: %8.0f placements/s (%d in %.3f s)", Double(pureCount) / scanSeconds, pureCount,
                    scanSeconds))
            print("decisions identical: \(decisions == scanned ? "yes" : "NO"); quality (\(strategy.rawValue)):")
            print("  indexed:  \(PlacementQuality(decisions, schedulable))")
            print("  scanning: \(PlacementQuality(scanned, schedulable))")
            print(
                String(format: "placement duty (+ fenced writes): %6.0f placements/s (%d in %.3f s)", Double(placed) / total, placed, total)
            )
        }
    }
}

/// What a placement pass gives the fleet: how evenly spread puts instances on workers (the spread of instance
/// counts over the workers), and how tightly binpack fills the workers it uses.
struct PlacementQuality: CustomStringConvertible {
    let placed: Int
    let perWorker: [Int]

    init(_ decisions: [PlacementDecision], _ workers: [SchedulableWorker]) {
        var counts = Dictionary(uniqueKeysWithValues: workers.map { ($0.id, $0.allocated.instances) })
        var placed = 0
        for case .placed(let id) in decisions {
            counts[id, default: 0] += 1
            placed += 1
        }
        self.placed = placed
        perWorker = Array(counts.values)
    }

    var description: String {
        let used = perWorker.filter { $0 > 0 }
        let mean = Double(perWorker.reduce(0, +)) / Double(max(perWorker.count, 1))
        let variance = perWorker.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(max(perWorker.count, 1))
        return String(
            format: "%d placed; instances per worker min %d, max %d, stddev %.2f; %d of %d workers used, %.1f instances on each used",
            placed, perWorker.min() ?? 0, perWorker.max() ?? 0, variance.squareRoot(), used.count, perWorker.count,
            Double(used.reduce(0, +)) / Double(max(used.count, 1)))
    }
}

/// The result of `work` and the seconds it took.
func timed<T>(_ work: () -> T) -> (T, Double) {
    let start = ContinuousClock.now
    let result = work()
    return (result, seconds(since: start))
}

extension PlacementConstraints.Strategy: ExpressibleByArgument {}
