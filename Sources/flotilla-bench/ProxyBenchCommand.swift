import ArgumentParser
import AsyncHTTPClient
import FlotillaCore
import FlotillaHost
import Foundation
import Logging
import NIOCore
import ServiceLifecycle

/// Surface D's proxy routing: `GET /api/v2/vm/{id}/status` asked at the host that runs the instance vs asked
/// at another host that routes it there, in the same run, on loopback. Two hosts in this process on one
/// single-member etcd that the command starts itself.
struct ProxyBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy", abstract: "Surface D status latency: at the owner vs proxied from another host.")

    @Option(help: "Concurrent connections.") var connections = 16
    @Option(help: "Seconds per measurement.") var seconds = 10
    @Option(help: "Warm-up seconds before each measurement.") var warmup = 2
    @Option(help: "The etcd binary.") var etcd = "/usr/bin/etcd"
    @Option(help: "Latency of each sim backend call, ms (a status makes two: inspect and usage).") var simLatencyMs = 0

    static let key = "flt_bench_key_0123456789abcdefghij"

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-proxy-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try await BenchEtcd.start(binary: etcd, directory: dir + "/etcd")
        defer { store.stop() }
        let owner = try await FlotillaHost.build(
            Self.configuration(id: "owner", dir: dir, store: store.endpoint, simLatencyMs: simLatencyMs), logger: logger)
        let front = try await FlotillaHost.build(
            Self.configuration(id: "front", dir: dir, store: store.endpoint, simLatencyMs: simLatencyMs), logger: logger)
        let ports = PortBox()
        let apps: [any Service] = [
            owner.application { port in await ports.set("owner", port) },
            front.application { port in await ports.set("front", port) },
        ]
        let group = ServiceGroup(services: owner.backgroundServices + front.backgroundServices + apps, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let ownerPort = await ports.wait("owner")
            let frontPort = await ports.wait("front")
            let client = HTTPClient(
                eventLoopGroupProvider: .singleton,
                configuration: .init(
                    connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)))
            do {
                print(try await measure(client, ownerPort: ownerPort, frontPort: frontPort))
                try await client.shutdown()
            } catch {
                try? await client.shutdown()
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    static func configuration(id: String, dir: String, store: String, simLatencyMs: Int) -> HostConfiguration {
        var config = HostConfiguration()
        config.dataDir = "\(dir)/\(id)"
        config.hostId = id
        config.listenPort = 0
        config.store = "etcd://" + store.replacingOccurrences(of: "http://", with: "")
        config.clusterSecret = "bench-cluster-secret"
        config.apiKey = key
        config.backends = [.sim]
        // The benchmark measures the server, not the per-key rate limits (ADR 0019).
        config.rateLimits = .unlimited
        config.cpuCores = 1000
        config.memoryMB = 1 << 20
        config.diskGB = 1 << 20
        config.simLatency = .milliseconds(simLatencyMs)
        return config
    }

    private func measure(_ client: HTTPClient, ownerPort: Int, frontPort: Int) async throws -> String {
        // One running instance on the owner, placed there by the leader (whichever host leads).
        var create = HTTPClientRequest(url: "http://127.0.0.1:\(ownerPort)/api/v2/vms?wait=running")
        create.method = .POST
        create.headers.add(name: "X-API-Key", value: Self.key)
        create.body = .bytes(
            ByteBuffer(
                string: #"{"name":"proxy-target","backend":"sim","image":"busybox","placement":{"worker_id":"owner"}}"#))
        var id = ""
        for _ in 0..<100 where id.isEmpty {
            if let response = try? await client.execute(create, timeout: .seconds(30)), response.status == .created {
                let body = try await response.body.collect(upTo: 1 << 20)
                id = try JSONDecoder().decode([String: AnyCodable].self, from: Data(buffer: body))["id"]?.string ?? ""
            } else {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        guard !id.isEmpty else { throw ValidationError("could not create the target instance on the owner") }
        let target = id
        let request: @Sendable (Int) -> @Sendable (Int, Int) -> HTTPClientRequest = { port in
            let url = "http://127.0.0.1:\(port)/api/v2/vm/\(target)/status"
            return { _, _ in
                var r = HTTPClientRequest(url: url)
                r.headers.add(name: "X-API-Key", value: Self.key)
                return r
            }
        }
        let load = LoadGenerator(client: client, connections: connections, duration: .seconds(seconds))
        let warm = LoadGenerator(client: client, connections: connections, duration: .seconds(warmup))
        // Alternate the order (local, proxied, proxied, local) so that drift on a loaded machine hits both.
        var local: [LoadGenerator.Result] = []
        var proxied: [LoadGenerator.Result] = []
        for (port, isLocal) in [(ownerPort, true), (frontPort, false), (frontPort, false), (ownerPort, true)] {
            _ = await warm.run(request(port))
            let result = await load.run(request(port))
            if isLocal { local.append(result) } else { proxied.append(result) }
        }
        let l = LoadGenerator.Result.merged(local)
        let p = LoadGenerator.Result.merged(proxied)
        return """
            flotilla-bench proxy: \(connections) connections, 2 x \(seconds) s per side (alternating), loopback, one process, 2 hosts, etcd, sim latency \(simLatencyMs) ms
            GET /api/v2/vm/:id/status at the owner  \(l.line)
            GET /api/v2/vm/:id/status proxied       \(p.line)
            p50 proxied/local: \(String(format: "%.2f", p.percentile(50) / l.percentile(50))) (goal <= 1.5); \
            p99 added: \(String(format: "%.3f", p.percentile(99) - l.percentile(99))) ms (goal < 1 ms)
            """
    }
}

extension LoadGenerator.Result {
    static func merged(_ results: [LoadGenerator.Result]) -> LoadGenerator.Result {
        LoadGenerator.Result(
            requests: results.reduce(0) { $0 + $1.requests }, errors: results.reduce(0) { $0 + $1.errors },
            seconds: results.reduce(0) { $0 + $1.seconds }, latenciesMs: results.flatMap(\.latenciesMs))
    }
}
