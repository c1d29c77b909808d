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

/// Surface D's proxy routing: `GET /api/v2/vm/{id}/status` asked at the host that runs the instance vs asked
/// at another host that routes it there, in the same run, on loopback. Two hosts in this process on one
/// single-member etcd that the command starts itself; with `--tls`, the two hosts serve TLS and call each other
/// with mutual TLS (a CA made for the run); with `--both`, a plain pair and a mutual-TLS pair run side by side
/// (each on its own etcd) and are measured alternately. Each `--connections` value is one run of every side on the
/// same hosts (the default measures 1 and 16 connections); the output starts with the date, the machine and its load.
struct ProxyBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy", abstract: "Surface D status latency: at the owner vs proxied from another host (plain, mutual TLS).")

    /// Which pairs of hosts to measure.
    enum Transport: String, EnumerableFlag {
        case plain, tls, both

        static func help(for value: Transport) -> ArgumentHelp? {
            switch value {
            case .plain: "Plain HTTP between the client and the hosts and between the hosts (the default)."
            case .tls: "TLS to the hosts, mutual TLS between them (a cluster CA made for the run)."
            case .both: "A plain pair and a mutual-TLS pair in the same run, measured alternately."
            }
        }
    }

    @Option(help: "Concurrent connections; repeat for several runs on the same hosts (default: 1 and 16).")
    var connections: [Int] = [1, 16]
    @Option(help: "Seconds per measurement.") var seconds = 10
    @Option(help: "Warm-up seconds before each measurement.") var warmup = 2
    @Option(help: "The etcd binary.") var etcd = "/usr/bin/etcd"
    @Option(help: "Latency of each sim backend call, ms (a status makes two: inspect and usage).") var simLatencyMs = 0
    @Flag var transport: Transport = .plain

    static let key = "flt_bench_key_0123456789abcdefghij"

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-proxy-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let certificates = transport == .plain ? nil : try BenchCertificates(directory: dir + "/certificates")
        let variants: [(String, BenchCertificates?)] =
            switch transport {
            case .plain: [("plain", nil)]
            case .tls: [("mTLS", certificates)]
            case .both: [("plain", nil), ("mTLS", certificates)]
            }
        var pairs: [ProxyPair] = []
        defer { for pair in pairs.reversed() { pair.etcd.stop() } }
        for (name, certificates) in variants {
            pairs.append(
                try await ProxyPair.start(
                    name: name, dir: dir + "/" + name, etcdBinary: etcd, simLatencyMs: simLatencyMs, certificates: certificates,
                    logger: logger))
        }
        let ports = PortBox()
        let group = ServiceGroup(services: pairs.flatMap { $0.services(ports: ports) }, logger: logger)
        let measured = pairs
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var sides: [Side] = []
            do {
                for pair in measured {
                    let client = BenchCertificates.httpClient(connections: connections.max() ?? 1, tls: pair.clientTLS)
                    sides.append(
                        Side(
                            pair: pair, client: client, ownerPort: await ports.wait(pair.name + "/owner"),
                            frontPort: await ports.wait(pair.name + "/front")))
                }
                print(BenchMachine.describe())
                var targets: [String] = []
                for side in sides { targets.append(try await Self.createTarget(side)) }
                for count in connections {
                    print("")
                    print(try await measure(sides, targets: targets, connections: count))
                }
                print("load at the end: \(BenchMachine.loadAverage())")
                for side in sides { try await side.client.shutdown() }
            } catch {
                for side in sides { try? await side.client.shutdown() }
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    /// A pair as the load sees it.
    struct Side {
        let pair: ProxyPair
        let client: HTTPClient
        let ownerPort: Int
        let frontPort: Int

        func url(_ port: Int, _ path: String) -> String { "\(pair.scheme)://127.0.0.1:\(port)\(path)" }
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

    private func measure(_ sides: [Side], targets: [String], connections: Int) async throws -> String {
        let request: @Sendable (String) -> @Sendable (Int, Int) -> HTTPClientRequest = { url in
            { _, _ in
                var r = HTTPClientRequest(url: url)
                r.headers.add(name: "X-API-Key", value: Self.key)
                return r
            }
        }
        // Alternate the order (local, proxied, proxied, local; pairs in turn, reversed on the way back) so that
        // drift on a loaded machine hits every figure.
        var local = Array(repeating: [LoadGenerator.Result](), count: sides.count)
        var proxied = Array(repeating: [LoadGenerator.Result](), count: sides.count)
        let forward = Array(sides.indices)
        for (isLocal, order) in [(true, forward), (false, forward), (false, forward.reversed()), (true, forward.reversed())] {
            for index in order {
                let side = sides[index]
                let url = side.url(isLocal ? side.ownerPort : side.frontPort, "/api/v2/vm/\(targets[index])/status")
                let warm = LoadGenerator(client: side.client, connections: connections, duration: .seconds(warmup))
                let load = LoadGenerator(client: side.client, connections: connections, duration: .seconds(seconds))
                _ = await warm.run(request(url))
                let result = await load.run(request(url))
                if isLocal { local[index].append(result) } else { proxied[index].append(result) }
            }
        }
        var lines = [
            "flotilla-bench proxy: \(connections) connections, 2 x \(seconds) s per side (alternating), loopback, one process, "
                + "2 hosts per pair, etcd, sim latency \(simLatencyMs) ms"
        ]
        var hops: [(String, Double, Double)] = []
        for (index, side) in sides.enumerated() {
            let l = LoadGenerator.Result.merged(local[index])
            let p = LoadGenerator.Result.merged(proxied[index])
            let name = side.pair.name
            let label = name == "plain" ? "" : " [\(name)]"
            let column = label.isEmpty ? 40 : 47
            // Issue 19: at most 1.3x at one connection, under 1.5x at 16.
            let goal = connections == 1 ? "<= 1.3" : "< 1.5"
            lines += [
                ("GET /api/v2/vm/:id/status at the owner" + label).padding(toLength: column, withPad: " ", startingAt: 0) + l.line,
                ("GET /api/v2/vm/:id/status proxied" + label).padding(toLength: column, withPad: " ", startingAt: 0) + p.line,
                "proxied/local\(label): p50 \(String(format: "%.2f", p.percentile(50) / l.percentile(50))) (goal \(goal)), "
                    + "p99 \(String(format: "%.2f", p.percentile(99) / l.percentile(99))); "
                    + "added: p50 \(String(format: "%.3f", p.percentile(50) - l.percentile(50))) ms, "
                    + "p99 \(String(format: "%.3f", p.percentile(99) - l.percentile(99))) ms",
            ]
            hops.append((name, p.percentile(50) - l.percentile(50), p.throughput))
        }
        if hops.count == 2 {
            lines.append(
                String(
                    format: "routed hop, p50 added: %@ %.3f ms, %@ %.3f ms; proxied throughput %@/%@: %.2f", hops[0].0, hops[0].1,
                    hops[1].0, hops[1].1, hops[1].0, hops[0].0, hops[1].2 / hops[0].2))
        }
        return lines.joined(separator: "\n")
    }

    /// One running instance on the pair's owner, placed there by the leader (whichever host leads); its id.
    private static func createTarget(_ side: Side) async throws -> String {
        var create = HTTPClientRequest(url: side.url(side.ownerPort, "/api/v2/vms?wait=running"))
        create.method = .POST
        create.headers.add(name: "X-API-Key", value: key)
        create.body = .bytes(
            ByteBuffer(
                string: #"{"name":"proxy-target","backend":"sim","image":"busybox","placement":{"worker_id":"owner"}}"#))
        for _ in 0..<100 {
            if let response = try? await side.client.execute(create, timeout: .seconds(30)), response.status == .created {
                let body = try await response.body.collect(upTo: 1 << 20)
                let id = (try? JSONDecoder().decode([String: AnyCodable].self, from: Data(buffer: body)))?["id"]?.string ?? ""
                if !id.isEmpty { return id }
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw ValidationError("could not create the target instance on the \(side.pair.name) owner")
    }
}

extension LoadGenerator.Result {
    static func merged(_ results: [LoadGenerator.Result]) -> LoadGenerator.Result {
        LoadGenerator.Result(
            requests: results.reduce(0) { $0 + $1.requests }, errors: results.reduce(0) { $0 + $1.errors },
            seconds: results.reduce(0) { $0 + $1.seconds }, latenciesMs: results.flatMap(\.latenciesMs))
    }
}
