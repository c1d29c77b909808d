import ArgumentParser
import AsyncHTTPClient
import FlotillaCore
import FlotillaHost
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import ServiceLifecycle

/// Surface A's GET-instance over HTTPS vs plain HTTP in the same run (issue 14's benchmark): two hosts in
/// this process, built as `flotilla-bench http` builds one (SQLite, sim), one serving plain HTTP and one TLS
/// (a certificate of a CA made for the run, docs/decisions/0017-tls-and-the-cluster-secret.md); then the
/// cost of a new connection per request (the handshake) on each.
struct TLSBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tls", abstract: "Surface A GET-instance over HTTPS vs plain HTTP, keep-alive and new connections.")

    @Option(help: "Concurrent connections.") var connections = 16
    @Option(help: "Seconds per measurement (each side is measured twice, alternating).") var seconds = 10
    @Option(help: "Warm-up seconds before each measurement.") var warmup = 2
    @Option(help: "Seconds per side of the new-connection-per-request measurement (0: skip it).") var handshakeSeconds = 3

    static let key = "flt_bench_key_0123456789abcdefghij"

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-tls-bench-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let certificates = try BenchCertificates(directory: dir + "/certificates")
        let plain = try await FlotillaHost.build(Self.configuration(id: "plain", dir: dir, tls: nil), logger: logger)
        let secure = try await FlotillaHost.build(
            Self.configuration(id: "tls", dir: dir, tls: try certificates.listener("tls", mutual: false)), logger: logger)
        let clientTLS = try certificates.client()
        let ports = PortBox()
        let apps: [any Service] = [
            plain.application { port in await ports.set("plain", port) },
            secure.application { port in await ports.set("tls", port) },
        ]
        let group = ServiceGroup(services: plain.backgroundServices + secure.backgroundServices + apps, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let plainPort = await ports.wait("plain")
            let tlsPort = await ports.wait("tls")
            let plainClient = BenchCertificates.httpClient(connections: connections, tls: nil)
            let tlsClient = BenchCertificates.httpClient(connections: connections, tls: clientTLS)
            do {
                let report = try await measure(
                    plain: Side(client: plainClient, base: "http://127.0.0.1:\(plainPort)"),
                    tls: Side(client: tlsClient, base: "https://127.0.0.1:\(tlsPort)"))
                print(report)
                try await plainClient.shutdown()
                try await tlsClient.shutdown()
            } catch {
                try? await plainClient.shutdown()
                try? await tlsClient.shutdown()
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    /// One host as the load sees it: its client and its base URL.
    struct Side {
        let client: HTTPClient
        let base: String
    }

    static func configuration(id: String, dir: String, tls: ListenerTLS?) -> HostConfiguration {
        var config = HostConfiguration()
        config.dataDir = "\(dir)/\(id)"
        config.hostId = id
        config.listenPort = 0
        config.apiKey = key
        config.backends = [.sim]
        config.tls = tls
        // The benchmark measures the server, not the per-key rate limits (ADR 0019).
        config.rateLimits = .unlimited
        config.cpuCores = 1_000_000
        config.memoryMB = 1 << 40
        config.diskGB = 1 << 30
        config.maxInstances = 10_000_000
        return config
    }

    private func measure(plain: Side, tls: Side) async throws -> String {
        let plainURL = try await Self.createTarget(plain)
        let tlsURL = try await Self.createTarget(tls)
        let get: @Sendable (String, Bool) -> @Sendable (Int, Int) -> HTTPClientRequest = { url, close in
            { _, _ in
                var r = HTTPClientRequest(url: url)
                r.headers.add(name: "X-API-Key", value: Self.key)
                if close { r.headers.add(name: "Connection", value: "close") }
                return r
            }
        }
        // Alternate the order (plain, TLS, TLS, plain) so that drift on a loaded machine hits both.
        var plainResults: [LoadGenerator.Result] = []
        var tlsResults: [LoadGenerator.Result] = []
        for isTLS in [false, true, true, false] {
            let side = isTLS ? tls : plain
            let url = isTLS ? tlsURL : plainURL
            let warm = LoadGenerator(client: side.client, connections: connections, duration: .seconds(warmup))
            let load = LoadGenerator(client: side.client, connections: connections, duration: .seconds(seconds))
            _ = await warm.run(get(url, false))
            let result = await load.run(get(url, false))
            if isTLS { tlsResults.append(result) } else { plainResults.append(result) }
        }
        let p = LoadGenerator.Result.merged(plainResults)
        let t = LoadGenerator.Result.merged(tlsResults)
        var report = """
            flotilla-bench tls: \(connections) connections, 2 x \(seconds) s per side (alternating), loopback, one process, \
            two hosts (plain HTTP, TLS)
            GET /api/v1/compute/instances/:id  http   \(p.line)
            GET /api/v1/compute/instances/:id  https  \(t.line)
            HTTPS / plain throughput (keep-alive): \(String(format: "%.3f", t.throughput / p.throughput)) (goal >= 0.70)
            """
        guard handshakeSeconds > 0 else { return report }
        // A new connection for every request (Connection: close): TCP set-up, and on HTTPS a full handshake.
        let fresh = LoadGenerator(client: plain.client, connections: connections, duration: .seconds(handshakeSeconds))
        let freshTLS = LoadGenerator(client: tls.client, connections: connections, duration: .seconds(handshakeSeconds))
        let cp = await fresh.run(get(plainURL, true))
        let ct = await freshTLS.run(get(tlsURL, true))
        report += """

            new connection per request (Connection: close), \(handshakeSeconds) s per side:
            GET /api/v1/compute/instances/:id  http   \(cp.line)
            GET /api/v1/compute/instances/:id  https  \(ct.line)
            HTTPS / plain new-connection throughput: \(String(format: "%.3f", ct.throughput / cp.throughput))
            """
        return report
    }

    /// Creates the instance to read on `side`'s host; returns its URL.
    private static func createTarget(_ side: Side) async throws -> String {
        let base = side.base + "/api/v1/compute/instances"
        var seed = HTTPClientRequest(url: base)
        seed.method = .POST
        seed.headers.add(name: "X-API-Key", value: key)
        seed.body = .bytes(ByteBuffer(string: #"{"name":"bench-target","backend":"sim","config":{"image":"busybox"}}"#))
        let created = try await side.client.execute(seed, timeout: .seconds(30))
        let body = try await created.body.collect(upTo: 1 << 20)
        let id = (try? JSONDecoder().decode([String: AnyCodable].self, from: Data(buffer: body)))?["id"]?.string ?? ""
        guard created.status == .created, !id.isEmpty else {
            throw ValidationError("could not create the target instance at \(side.base): \(created.status)")
        }
        return base + "/" + id
    }
}
