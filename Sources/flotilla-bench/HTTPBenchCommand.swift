import ArgumentParser
import AsyncHTTPClient
import FlotillaCore
import FlotillaHost
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import ServiceLifecycle

/// GET-instance and create-instance (sim, zero latency) through a whole Flotilla host on loopback, next to
/// a bare Hummingbird route measured in the same run (issue 2's benchmark).
struct HTTPBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http", abstract: "Surface A GET/create throughput and latency vs a bare Hummingbird route.")

    @Option(help: "Concurrent connections.") var connections = 16
    @Option(help: "Seconds per measurement.") var seconds = 10
    @Option(help: "Warm-up seconds before each measurement.") var warmup = 2

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-bench-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = HostConfiguration()
        config.dataDir = dir
        config.hostId = "bench"
        config.listenPort = 0
        let key = "flt_bench_key_0123456789abcdefghij"
        config.apiKey = key
        config.backends = [.sim]
        // The benchmark measures the server, not the per-key rate limits (ADR 0019).
        config.rateLimits = .unlimited
        config.cpuCores = 1_000_000
        config.memoryMB = 1 << 40
        config.diskGB = 1 << 30
        config.maxInstances = 10_000_000
        let host = try await FlotillaHost.build(config, logger: logger)
        let ports = PortBox()
        let flotilla = host.application { port in await ports.set("flotilla", port) }
        let bareRouter = Router()
        bareRouter.get("/bare") { _, _ in "ok" }
        let bare = Application(
            router: bareRouter, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in await ports.set("bare", channel.localAddress?.port ?? 0) }, logger: logger)
        let services: [any Service] = host.backgroundServices + [flotilla, bare]
        let group = ServiceGroup(services: services, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let flotillaPort = await ports.wait("flotilla")
            let barePort = await ports.wait("bare")
            let client = HTTPClient(
                eventLoopGroupProvider: .singleton,
                configuration: .init(
                    connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)))
            let report: String
            do {
                report = try await measure(client, flotillaPort: flotillaPort, barePort: barePort, key: key)
                try await client.shutdown()
            } catch {
                try? await client.shutdown()
                throw error
            }
            print(report)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    private func measure(_ client: HTTPClient, flotillaPort: Int, barePort: Int, key: String) async throws -> String {
        let base = "http://127.0.0.1:\(flotillaPort)/api/v1/compute/instances"
        // One instance to read.
        var seed = HTTPClientRequest(url: base)
        seed.method = .POST
        seed.headers.add(name: "X-API-Key", value: key)
        seed.body = .bytes(ByteBuffer(string: #"{"name":"bench-target","backend":"sim","config":{"image":"busybox"}}"#))
        let created = try await client.execute(seed, timeout: .seconds(30))
        let body = try await created.body.collect(upTo: 1 << 20)
        let id = try JSONDecoder().decode([String: AnyCodable].self, from: Data(buffer: body))["id"]?.string ?? ""
        guard created.status == .created, !id.isEmpty else {
            throw ValidationError("could not create the target instance: \(created.status)")
        }

        let load = LoadGenerator(client: client, connections: connections, duration: .seconds(seconds))
        let warm = LoadGenerator(client: client, connections: connections, duration: .seconds(warmup))
        let bareURL = "http://127.0.0.1:\(barePort)/bare"
        let getURL = "\(base)/\(id)"
        let bareRequest: @Sendable (Int, Int) -> HTTPClientRequest = { _, _ in HTTPClientRequest(url: bareURL) }
        let getRequest: @Sendable (Int, Int) -> HTTPClientRequest = { _, _ in
            var r = HTTPClientRequest(url: getURL)
            r.headers.add(name: "X-API-Key", value: key)
            return r
        }
        let runId = UUID().uuidString.prefix(6)
        let createRequest: @Sendable (Int, Int) -> HTTPClientRequest = { worker, n in
            var r = HTTPClientRequest(url: base)
            r.method = .POST
            r.headers.add(name: "X-API-Key", value: key)
            r.body = .bytes(
                ByteBuffer(
                    string:
                        #"{"name":"b-\#(runId)-\#(worker)-\#(n)","backend":"sim","config":{"image":"busybox"},"resources":{"cpu":{"cores":0.001},"memory":{"limit":4194304}}}"#
                ))
            return r
        }
        _ = await warm.run(bareRequest)
        let bareResult = await load.run(bareRequest)
        _ = await warm.run(getRequest)
        let getResult = await load.run(getRequest)
        let createResult = await load.run(createRequest)
        let ratio = getResult.throughput / bareResult.throughput
        return """
            flotilla-bench http: \(connections) connections, \(seconds) s each, loopback, one process
            bare Hummingbird GET /bare          \(bareResult.line)
            GET  /api/v1/compute/instances/:id  \(getResult.line)
            POST /api/v1/compute/instances      \(createResult.line)   (sim, zero latency, synchronous: answered when running)
            GET-instance / bare route throughput: \(String(format: "%.2f", ratio)) (goal >= 0.50)
            """
    }
}

/// Bound ports, reported by the servers as they start.
actor PortBox {
    private var ports: [String: Int] = [:]
    func set(_ name: String, _ port: Int) { ports[name] = port }
    func wait(_ name: String) async -> Int {
        while true {
            if let port = ports[name] { return port }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// Just enough JSON to read an id.
struct AnyCodable: Decodable {
    var string: String?
    init(from decoder: any Decoder) throws {
        string = try? decoder.singleValueContainer().decode(String.self)
    }
}
