import ArgumentParser
import AsyncHTTPClient
import FlotillaCluster
import FlotillaCore
import FlotillaHost
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// Issue 19, point 3: one host whose registry holds `--instances` instances placed across `--workers` simulated
/// workers (half of them VMs), on SQLite or (`--store etcd`) a single-member etcd it starts. Prints the host's
/// start-up time and resident memory with them loaded,
/// the latency of one page of 100 from each listing (surface D, A and C), and accepted creates
/// (`POST /api/v2/vms`, 202) per second with `--connections` clients.
struct RegistryBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry", abstract: "A host's start-up, memory, list pages and accepted creates at 100,000 instances (issue 19).")

    @Option(help: "Instances in the registry, placed on the simulated workers.") var instances = 100_000
    @Option(help: "Simulated workers that hold them (they never run anything).") var workers = 1000
    @Option(help: "Clients for the list and create measurements.") var connections = 16
    @Option(help: "Seconds per measurement.") var seconds = 10
    @Option(help: "The store the host loads them from: sqlite, or etcd (a single member started for the run).")
    var store = "sqlite"
    @Option(help: "The etcd binary, for --store etcd.") var etcd = "/usr/bin/etcd"

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        let dir = "/tmp/flotilla-bench-registry-\(UUID().uuidString.prefix(8).lowercased())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/host", withIntermediateDirectories: true)
        guard ["sqlite", "etcd"].contains(store) else { throw BenchError("--store is sqlite or etcd, not \(store)") }
        let etcdServer = store == "etcd" ? try await BenchEtcd.start(binary: etcd, directory: dir + "/etcd") : nil
        defer { etcdServer?.stop() }
        var config = benchHostConfiguration(dataDir: dir + "/host", hostId: "bench", backends: [.sim])
        if let etcdServer {
            config.store = "etcd://" + etcdServer.endpoint.dropFirst("http://".count)
            config.clusterSecret = "bench"
        }
        config.listenPort = 0
        config.rateLimits = .unlimited
        config.maxInstances = 10_000_000
        // The simulated workers never beat again: nothing is rescheduled onto this host while it is measured.
        config.healthWindow = 86_400
        config.rescheduleAfter = .seconds(86_400)
        let written = try await seed(config, logger: logger)
        let baseline = Self.residentMB()

        let started = ContinuousClock.now
        let host = try await FlotillaHost.build(config, logger: logger)
        let ports = PortBox()
        let app = host.application { port in await ports.set("flotilla", port) }
        let group = ServiceGroup(services: host.backgroundServices + [app], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let port = await ports.wait("flotilla")
            let startup = Foundation.TimeInterval(RegistryBenchCommand.elapsed(since: started))
            let loaded = host.registry.revision >= written
            let resident = Self.residentMB()
            print(
                "flotilla-bench registry: \(instances) instances on \(workers) simulated workers, "
                    + (etcdServer == nil ? "SQLite" : "etcd (one member, loopback)") + ", one host")
            print(
                String(
                    format: "start-up (build, load, listening): %.2f s; registry at the seeded revision: %@", startup, loaded ? "yes" : "NO"
                ))
            print(String(format: "resident memory: %.0f MB with the registry loaded (%.0f MB before the host)", resident, baseline))
            let client = HTTPClient(
                eventLoopGroupProvider: .singleton,
                configuration: .init(
                    connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)))
            do {
                try await measure(client, port: port, key: config.apiKey ?? "")
                try await client.shutdown()
            } catch {
                try? await client.shutdown()
                throw error
            }
            print(String(format: "resident memory at the end: %.0f MB", Self.residentMB()))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    /// Workers and instances written straight into the host's store; the revision written last.
    private func seed(_ config: HostConfiguration, logger: Logger) async throws -> Revision {
        let store = try await StoreFactory.open(config, logger: logger)
        let now = Date()
        var ops = try simulatedWorkers(workers, now: now)
        for i in 0..<instances {
            var instance = Instance(
                id: UUID().uuidString.lowercased(), name: "seeded-\(i)", kind: i % 2 == 0 ? .container : .vm, backend: .sim,
                spec: InstanceSpec(config: InstanceConfig(image: "busybox"), resources: Resources(cpuCores: 0.01, memoryBytes: 16 << 20)),
                createdAt: now.addingTimeInterval(Double(i) / 1000))
            instance.workerId = "w\(i % workers)"
            instance.state = .running
            ops.append(.put(StoreKeys.instance(instance.id), try StoreCodec.encode(instance)))
            ops.append(.put(StoreKeys.name(instance.name), Data(instance.id.utf8)))
        }
        try await putInChunks(ops, store)
        return try await store.status().revision
    }

    private func measure(_ client: HTTPClient, port: Int, key: String) async throws {
        let base = "http://127.0.0.1:\(port)"
        let one = LoadGenerator(client: client, connections: 1, duration: .seconds(seconds))
        for path in ["/api/v2/vms?limit=100", "/api/v1/compute/instances?pageSize=100", "/api/v1/vms?page_size=100"] {
            let result = await one.run { _, _ in
                var r = HTTPClientRequest(url: base + path)
                r.headers.add(name: "X-API-Key", value: key)
                return r
            }
            print("GET \(path.padding(toLength: 40, withPad: " ", startingAt: 0)) \(result.line)  (1 client, page of 100)")
        }
        let runId = UUID().uuidString.prefix(6)
        let creates = LoadGenerator(client: client, connections: connections, duration: .seconds(seconds))
        let result = await creates.run { worker, n in
            var r = HTTPClientRequest(url: base + "/api/v2/vms")
            r.method = .POST
            r.headers.add(name: "X-API-Key", value: key)
            r.headers.add(name: "Content-Type", value: "application/json")
            r.body = .bytes(ByteBuffer(string: #"{"name":"c-\#(runId)-\#(worker)-\#(n)","backend":"sim","image":"busybox"}"#))
            return r
        }
        print("POST /api/v2/vms (accepted, 202)            \(result.line)  (\(connections) clients)")
    }

    static func elapsed(since start: ContinuousClock.Instant) -> Double { flotilla_bench.seconds(since: start) }

    /// This process's resident set, MB (`VmRSS` in /proc/self/status).
    static func residentMB() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kb = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return .nan }
        return kb / 1024
    }
}
