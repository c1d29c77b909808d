import ArgumentParser
import AsyncHTTPClient
import FlotillaHost
import Foundation
import NIOCore
import NIOHTTP1

/// `/health` latency while thousands of idle sockets and hundreds of slow uploads are open against a real
/// `flotilla serve`, and how long after the idle timeout the server closed the idle ones (issue 12, finding 3).
struct FloodBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flood",
        abstract: "/health latency under a flood of idle sockets and slow uploads; idle sockets closed after the timeout.")

    @Option(help: "Idle sockets, opened from --addresses loopback addresses (127.0.0.2 and up).") var idle = 5000
    @Option(help: "Loopback addresses the idle sockets come from.") var addresses = 10
    @Option(help: "Slow uploads, from one more loopback address.") var uploads = 500
    @Option(help: "Bytes each upload sends a second (the server's default minimum is 1024).") var uploadRate = 2048
    @Option(help: "The server's --idle-timeout, seconds.") var idleTimeout = 30
    @Option(help: "/health requests measured, each on a new connection, 20 a second.") var requests = 200
    @Option(help: "The flotilla binary (default: next to this one).") var flotilla: String?

    func run() async throws {
        let files = OpenFileLimit.raiseToHard()
        guard files.after > idle + uploads + 256 else { throw ValidationError("open-file limit \(files.after) is too low for the flood") }
        let server = try await FloodServer.start(
            binary: flotilla
                ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("flotilla").path,
            idleTimeout: idleTimeout)
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let report = try await measure(server: server, client: client)
            try await client.shutdown()
            await server.stop()
            print(report)
        } catch {
            try? await client.shutdown()
            await server.stop()
            throw error
        }
    }

    private func measure(server: FloodServer, client: HTTPClient) async throws -> String {
        let baseline = try await health(client, port: server.port)
        let sources = (0..<addresses).map { "127.0.0.\(2 + $0)" }
        let idleSockets = try await FloodSocket.open(idle, from: sources, port: server.port)
        let lastIdleOpened = idleSockets.map(\.opened).max() ?? .now
        let uploadSockets = try await FloodSocket.open(uploads, from: ["127.0.0.\(2 + addresses)"], port: server.port)
        let head =
            "POST /api/v1/compute/instances HTTP/1.1\r\nHost: flotilla\r\nX-API-Key: \(server.apiKey)\r\n"
            + "Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n"
        for socket in uploadSockets { socket.startUpload(head: head, chunk: uploadRate) }
        try await Task.sleep(for: .seconds(2))
        let openBefore = (idleSockets.filter { $0.closed == nil }.count, uploadSockets.filter { $0.closed == nil }.count)
        let flooded = try await health(client, port: server.port)
        let openAfter = (idleSockets.filter { $0.closed == nil }.count, uploadSockets.filter { $0.closed == nil }.count)
        let measuredFor = ContinuousClock.now - lastIdleOpened
        for socket in uploadSockets { socket.stop() }
        // The idle ones: wait for the server to close them (the timeout plus a minute at most).
        let deadline = lastIdleOpened + .seconds(idleTimeout + 60)
        while idleSockets.contains(where: { $0.closed == nil }) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        let after = idleSockets.compactMap { s in s.closed.map { ($0 - s.opened) - .seconds(idleTimeout) } }.sorted()
        idleSockets.forEach { $0.stop() }
        func ms(_ d: Duration) -> String {
            String(format: "%.0f ms", Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15)
        }
        return """
            flotilla-bench flood: one `flotilla serve` process (sim), loopback; \(idle) idle sockets from \(addresses) addresses, \
            \(uploads) uploads at \(uploadRate) B/s from one, idle timeout \(idleTimeout) s
            open when /health was measured: idle \(openBefore.0) -> \(openAfter.0) of \(idle), uploads \(openBefore.1) -> \(openAfter.1) \
            of \(uploads) (the measurement ended \(ms(measuredFor)) after the last idle socket opened)
            GET /health, no flood      \(baseline.line)
            GET /health, flood open    \(flooded.line)
            idle sockets closed by the server: \(after.count) of \(idle); after the idle timeout (from the client's connect): first \(after.first.map(ms) ?? "-"), \
            median \(after.isEmpty ? "-" : ms(after[after.count / 2])), last \(after.last.map(ms) ?? "-")
            """
    }

    /// `requests` GETs of /health, each on a new connection, 20 a second; latencies and non-200s.
    private func health(_ client: HTTPClient, port: Int) async throws -> HealthResult {
        var latencies: [Double] = []
        var failures = 0
        for _ in 0..<requests {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/health")
            request.headers.add(name: "Connection", value: "close")
            let start = ContinuousClock.now
            do {
                let response = try await client.execute(request, timeout: .seconds(5))
                _ = try await response.body.collect(upTo: 1 << 20)
                if response.status != .ok { failures += 1 }
            } catch {
                failures += 1
            }
            let took = ContinuousClock.now - start
            latencies.append(Double(took.components.attoseconds) / 1e15 + Double(took.components.seconds) * 1000)
            try await Task.sleep(for: .milliseconds(50))
        }
        return HealthResult(latenciesMs: latencies, failures: failures)
    }
}
