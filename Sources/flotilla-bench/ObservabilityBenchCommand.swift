import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import ServiceLifecycle

/// GET-instance requests per second with metrics and tracing on vs off, in the same run (issue 15's benchmark):
/// three `flotilla serve` processes of the same binary, one `--no-metrics` without an OTLP endpoint (off), one with
/// its metrics and `--otlp-endpoint` pointing at an OTLP/HTTP sink in this process that answers 200 at the default
/// trace sample ratio (on), and one like it recording every trace (`--trace-sample-ratio 1`, all). The same instance
/// is read on each with the same closed-loop load; the order of the sides turns each round (off, on, all, all, on,
/// off, ...) with a warm-up before each, and each side's figure is the median of its rounds.
struct ObservabilityBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "observability", abstract: "Surface A GET-instance with metrics and tracing on vs off (two serve processes).")

    @Option(help: "Concurrent connections.") var connections = 16
    @Option(help: "Seconds per round.") var seconds = 10
    @Option(help: "Warm-up seconds before each round.") var warmup = 2
    @Option(help: "Rounds per side (alternating).") var rounds = 3
    @Option(help: "The flotilla binary (default: next to this one).") var flotilla: String?

    static let key = "flt_bench_key_0123456789abcdefghij"

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        let beside = Bundle.main.executableURL?.deletingLastPathComponent().appendingPathComponent("flotilla").path
        let binary = flotilla ?? beside ?? "flotilla"
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-obs-bench-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sink = OTLPSink()
        let ports = PortBox()
        let group = ServiceGroup(
            services: [sink.application(logger: logger) { port in await ports.set("otlp", port) }], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let otlp = "http://127.0.0.1:\(await ports.wait("otlp"))"
            var hosts: [BenchServe] = []
            let client = HTTPClient(
                eventLoopGroupProvider: .singleton,
                configuration: .init(
                    connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)))
            do {
                let off = try await BenchServe.start(
                    binary: binary, id: "off", dataDir: dir + "/off", apiKey: Self.key, arguments: ["--no-metrics"])
                hosts.append(off)
                let on = try await BenchServe.start(
                    binary: binary, id: "on", dataDir: dir + "/on", apiKey: Self.key, arguments: ["--otlp-endpoint", otlp])
                hosts.append(on)
                let all = try await BenchServe.start(
                    binary: binary, id: "all", dataDir: dir + "/all", apiKey: Self.key,
                    arguments: ["--otlp-endpoint", otlp, "--trace-sample-ratio", "1"])
                hosts.append(all)
                print(try await measure(client, sides: [off, on, all], sink: sink))
            } catch {
                for host in hosts.reversed() { print("--- \(host.url):\n\(host.log.suffix(2000))") }
                await Self.stop(hosts, client)
                await group.triggerGracefulShutdown()
                throw error
            }
            await Self.stop(hosts, client)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    private static func stop(_ hosts: [BenchServe], _ client: HTTPClient) async {
        try? await client.shutdown()
        for host in hosts.reversed() { await host.stop() }
    }

    private func measure(_ client: HTTPClient, sides: [BenchServe], sink: OTLPSink) async throws -> String {
        var urls: [String] = []
        for side in sides { urls.append(try await Self.createTarget(client, side.url)) }
        let get: @Sendable (String) -> @Sendable (Int, Int) -> HTTPClientRequest = { url in
            { _, _ in
                var r = HTTPClientRequest(url: url)
                r.headers.add(name: "X-API-Key", value: Self.key)
                return r
            }
        }
        var rounds = [[LoadGenerator.Result]](repeating: [], count: sides.count)
        // The order turns each round: drift on a loaded machine hits every side alike.
        for round in 0..<self.rounds {
            let order = round % 2 == 0 ? Array(sides.indices) : sides.indices.reversed()
            for side in order {
                _ = await LoadGenerator(client: client, connections: connections, duration: .seconds(warmup)).run(get(urls[side]))
                rounds[side].append(
                    await LoadGenerator(client: client, connections: connections, duration: .seconds(seconds)).run(get(urls[side])))
            }
        }
        let medians = rounds.map(Self.median)
        let (off, on, all) = (medians[0], medians[1], medians[2])
        let metricsOn = try await Self.status(client, sides[1].url + "/metrics")
        let metricsOff = try await Self.status(client, sides[0].url + "/metrics")
        let exported = sink.received
        let list = { (results: [LoadGenerator.Result]) in results.map { String(format: "%.0f", $0.throughput) }.joined(separator: ", ") }
        let ratio = { (side: LoadGenerator.Result) in String(format: "%.3f", side.throughput / off.throughput) }
        return """
            flotilla-bench observability: \(connections) connections, \(self.rounds) x \(seconds) s per side (order turning, \(warmup) s \
            warm-up each), loopback, three flotilla serve processes (sim, SQLite)
            GET /api/v1/compute/instances/:id  off (--no-metrics, no OTLP)              \(off.line)
            GET /api/v1/compute/instances/:id  on  (metrics + OTLP, default sampling)   \(on.line)
            GET /api/v1/compute/instances/:id  all (metrics + OTLP, every trace)        \(all.line)
            rounds off: \(list(rounds[0])); on: \(list(rounds[1])); all: \(list(rounds[2])) req/s
            on / off throughput (medians): \(ratio(on)) (goal >= 0.90); all / off: \(ratio(all))
            check: GET /metrics on: \(metricsOn), off: \(metricsOff); OTLP export requests received: \(exported.requests) \
            (\(exported.bytes) bytes)
            """
    }

    /// The round with the median throughput (the lower middle one for an even count).
    static func median(_ results: [LoadGenerator.Result]) -> LoadGenerator.Result {
        let sorted = results.sorted { $0.throughput < $1.throughput }
        return sorted[(sorted.count - 1) / 2]
    }

    private static func status(_ client: HTTPClient, _ url: String) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        let response = try await client.execute(request, timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 16 << 20)
        return Int(response.status.code)
    }

    /// Creates the instance to read on the host at `base`; returns its URL.
    private static func createTarget(_ client: HTTPClient, _ base: String) async throws -> String {
        let instances = base + "/api/v1/compute/instances"
        var seed = HTTPClientRequest(url: instances)
        seed.method = .POST
        seed.headers.add(name: "X-API-Key", value: key)
        seed.body = .bytes(ByteBuffer(string: #"{"name":"bench-target","backend":"sim","config":{"image":"busybox"}}"#))
        let created = try await client.execute(seed, timeout: .seconds(30))
        let body = try await created.body.collect(upTo: 1 << 20)
        let id = (try? JSONDecoder().decode([String: AnyCodable].self, from: Data(buffer: body)))?["id"]?.string ?? ""
        guard created.status == .created, !id.isEmpty else {
            throw BenchError("could not create the target instance at \(base): \(created.status) \(String(buffer: body))")
        }
        return instances + "/" + id
    }
}
