import FlotillaCore
import FlotillaHost
import Foundation
import Logging
import ServiceLifecycle

/// A cluster store for an in-process benchmark (`sqlite` in a temporary folder, `etcd://...` or `postgres://...`, the
/// password in `FLOTILLA_POSTGRES_PASSWORD`), running
/// while `body` runs; the folder is removed afterwards.
func withBenchStore<T: Sendable>(
    _ spec: String, _ body: @Sendable (any ClusterStore) async throws -> T
) async throws -> T {
    let dir = "/tmp/flotilla-bench-\(UUID().uuidString.prefix(8).lowercased())"
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    var config = HostConfiguration()
    config.dataDir = dir
    config.store = spec
    config.clusterSecret = "bench"
    config.postgresPassword = ProcessInfo.processInfo.environment["FLOTILLA_POSTGRES_PASSWORD"]
    var logger = Logger(label: "bench")
    logger.logLevel = .critical
    let store = try await StoreFactory.open(config, logger: logger)
    let running = Task { try await store.run() }
    defer { running.cancel() }
    return try await body(store)
}

/// Writes `ops` in transactions of at most 100 operations (etcd's default limit is 128).
func putInChunks(_ ops: [TxnOp], _ store: any ClusterStore) async throws {
    var start = 0
    while start < ops.count {
        let chunk = Array(ops[start..<min(start + 100, ops.count)])
        _ = try await store.txn([], then: chunk, otherwise: [])
        start += 100
    }
}

/// `d` in seconds.
func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

/// Seconds since `start`.
func seconds(since start: ContinuousClock.Instant) -> Double {
    seconds(start.duration(to: .now))
}

/// Registration and heartbeat writes for `count` simulated sim workers `w0`, `w1`, ... in zones z0..z2.
func simulatedWorkers(_ count: Int, now: Date) throws -> [TxnOp] {
    var ops: [TxnOp] = []
    for w in 0..<count {
        let worker = Worker(
            id: "w\(w)", hostname: "w\(w)", address: "http://127.0.0.1:1", zone: "z\(w % 3)", capabilities: [.sim],
            capacity: WorkerCapacity(cpuCores: 64, memoryMB: 262_144, diskGB: 1000, maxInstances: 1000), startedAt: now)
        ops.append(.put(StoreKeys.worker(worker.id), try StoreCodec.encode(worker)))
        ops.append(.put(StoreKeys.alive(worker.id), try StoreCodec.encode(Heartbeat(workerId: worker.id, at: now))))
    }
    return ops
}

/// The configuration of an in-process benchmark host on `backends`: an admin key, and room for every
/// instance a benchmark makes whatever the machine (capacity is not what the benchmarks measure).
func benchHostConfiguration(dataDir: String, hostId: String, backends: [BackendKind]) -> HostConfiguration {
    var config = HostConfiguration()
    config.dataDir = dataDir
    config.hostId = hostId
    config.apiKey = "flt_bench_key_0123456789abcdefghij"
    config.backends = backends
    config.cpuCores = 64
    config.memoryMB = 65536
    config.diskGB = 1000
    return config
}
