import ArgumentParser
import FlotillaCluster
import FlotillaCore
import Foundation
import Logging

/// Issue 5's benchmark (d): creates per second through Flotilla's store path (name reservation and instance
/// record in one transaction) against plain puts of a record of the same size through the same client, in
/// the same run, with the same concurrency; prints the ratio.
struct CreateBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "creates", abstract: "Creates per second through the store vs raw puts (issue 5, d).")

    @Option(help: "The store: etcd://HOST:PORT,... (or sqlite)") var store: String
    @Option(help: "Operations on each side.") var count = 3000
    @Option(help: "Concurrent writers.") var concurrency = 16

    func run() async throws {
        let (count, concurrency) = (self.count, self.concurrency)
        try await withBenchStore(store) { store in
            // Creates check that some worker has the backend: one simulated worker is enough.
            try await putInChunks(try simulatedWorkers(1, now: Date()), store)
            var quiet = Logger(label: "bench")
            quiet.logLevel = .critical
            let registry = RegistryCache(store: store)
            try await registry.load()
            let service = InstanceService(
                store: store, registry: registry, identity: HostIdentity(hostId: "bench", address: "http://127.0.0.1:1"),
                backends: BackendSet([]), logger: quiet)
            let spec = InstanceSpec(config: InstanceConfig(image: "busybox"), resources: Resources(cpuCores: 0.5))
            let sample = try StoreCodec.encode(
                Instance(id: UUID().uuidString.lowercased(), name: "sample", kind: .container, backend: .sim, spec: spec, createdAt: Date())
            )
            let run = UUID().uuidString.prefix(8)

            let creates = try await Self.timed(count, concurrency) { i in
                _ = try await service.create(CreateInstance(name: "bench-\(run)-\(i)", backend: .sim, spec: spec))
            }
            let puts = try await Self.timed(count, concurrency) { i in
                try await store.put("/bench/raw/\(run)/\(i)", value: sample, lease: nil)
            }
            print("store \(store.kind), \(count) operations each side, \(concurrency) concurrent writers, record \(sample.count) bytes")
            print(String(format: "flotilla creates: %7.0f /s", creates))
            print(String(format: "raw puts:         %7.0f /s", puts))
            print(String(format: "ratio creates/puts: %.2f", creates / puts))
        }
    }

    /// Runs `op(0..<count)` over `concurrency` tasks; returns operations per second.
    static func timed(_ count: Int, _ concurrency: Int, _ op: @escaping @Sendable (Int) async throws -> Void) async throws -> Double {
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<concurrency {
                group.addTask {
                    var i = w
                    while i < count {
                        try await op(i)
                        i += concurrency
                    }
                }
            }
            try await group.waitForAll()
        }
        return Double(count) / seconds(since: start)
    }
}
