import ArgumentParser
import FlotillaCluster
import FlotillaCore
import FlotillaStore
import Foundation
import Logging
import PostgresNIO

/// Issue 18's benchmark: creates per second through the PostgreSQL store (a compare that the key is absent and a
/// put, as an instance create writes) beside raw single-row inserts of a value of the same size, through the same
/// client (PostgresNIO, the same pool size) at the same concurrency. The goal: the store at least half the raw rate.
struct PostgresBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postgres", abstract: "Creates per second through the PostgreSQL store vs raw inserts (issue 18).")

    @Option(help: "An empty database: postgres://USER@HOST:PORT/DB (password in FLOTILLA_POSTGRES_PASSWORD).") var store: String
    @Option(help: "Creates (and raw inserts) in each run.") var count = 20000
    @Option(help: "Concurrent clients.") var concurrency = 16

    func run() async throws {
        guard case .postgres(let address) = try StoreLocation.parse(store) else {
            throw ValidationError("--store must be a postgres:// address")
        }
        let password = ProcessInfo.processInfo.environment["FLOTILLA_POSTGRES_PASSWORD"]
        let value = try Self.instanceRecord()
        let (count, concurrency) = (self.count, self.concurrency)
        var logger = Logger(label: "bench")
        logger.logLevel = .critical

        let store = try await PostgresClusterStore.open(address, password: password, logger: logger)
        let storeSeconds = try await Self.timed(count: count, concurrency: concurrency) { i in
            let key = "/bench/instances/\(i)"
            let result = try await store.txn([.absent(key)], then: [.put(key, value)], otherwise: [])
            guard result.succeeded else { throw ValidationError("\(key) existed: use an empty database") }
        }
        await store.close()

        var configuration = PostgresClient.Configuration(
            host: address.host, port: address.port, username: address.user, password: password, database: address.database,
            tls: .disable)
        configuration.options.maximumConnections = 16
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let running = Task { await client.run() }
        try await client.query("CREATE TABLE IF NOT EXISTS bench_raw (key text PRIMARY KEY, value bytea NOT NULL)")
        try await client.query("TRUNCATE bench_raw")
        let rawSeconds = try await Self.timed(count: count, concurrency: concurrency) { i in
            try await client.query("INSERT INTO bench_raw (key, value) VALUES (\("/bench/raw/\(i)"), \(value))")
        }
        try await client.query("DROP TABLE bench_raw")
        running.cancel()
        await running.value

        let (storeRate, rawRate) = (Double(count) / storeSeconds, Double(count) / rawSeconds)
        print(
            "postgres \(address.host):\(address.port)/\(address.database), \(count) writes of \(value.count) bytes, \(concurrency) clients")
        print(String(format: "store creates (txn: absent + put): %8.0f/s (%.2f s)", storeRate, storeSeconds))
        print(String(format: "raw single-row INSERTs:            %8.0f/s (%.2f s)", rawRate, rawSeconds))
        print(String(format: "store / raw:                       %8.2f (goal: at least 0.5)", storeRate / rawRate))
    }

    /// An instance record as a create stores it: the value size of the comparison.
    static func instanceRecord() throws -> Data {
        let instance = Instance(
            id: UUID().uuidString.lowercased(), name: "bench-instance", kind: .container, backend: .sim,
            spec: InstanceSpec(config: InstanceConfig(image: "busybox"), resources: Resources(cpuCores: 0.5, memoryBytes: 256 << 20)),
            createdAt: Date())
        return try StoreCodec.encode(instance)
    }

    /// Runs `write(i)` for i in 0..<count, `concurrency` at a time; returns the seconds it took.
    static func timed(count: Int, concurrency: Int, _ write: @escaping @Sendable (Int) async throws -> Void) async throws -> Double {
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<concurrency {
                group.addTask {
                    for i in stride(from: lane, to: count, by: concurrency) { try await write(i) }
                }
            }
            try await group.waitForAll()
        }
        return seconds(ContinuousClock.now - start)
    }
}
