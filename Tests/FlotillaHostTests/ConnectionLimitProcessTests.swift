import FlotillaTestSupport
import Foundation
import Testing

/// Finding 3 of issue 12: the server closes idle connections, half-sent heads and stalled or trickling
/// bodies after their deadlines, and connections over the per-address cap at once, so that a flood larger
/// than the process's open-file limit leaves `/health` answering (docs/decisions/0013-connection-limits.md).
@Suite("connection limits of flotilla serve as a process", .serialized)
struct ConnectionLimitProcessTests {
    static let fileLimit = 256
    static let perAddress = 64
    static let idle: Duration = .seconds(20)
    static let headerDeadline: Duration = .seconds(3)
    static let bodyDeadline: Duration = .seconds(3)

    /// Set through the environment, so that a binary without these options still starts (and fails the test
    /// on what it does, not on an unknown option).
    static let environment = [
        "FLOTILLA_IDLE_TIMEOUT": "20", "FLOTILLA_HEADER_TIMEOUT": "3", "FLOTILLA_BODY_TIMEOUT": "3",
        "FLOTILLA_BODY_MIN_RATE": "1024", "FLOTILLA_MAX_CONNECTIONS_PER_ADDRESS": "\(perAddress)",
    ]

    @Test("a flood over the open-file limit: /health answers, over-cap sockets close at once, the rest by their deadlines")
    func flood() async throws {
        try await FixtureStack.with { stack in
            let host = try await stack.serve(
                dataDir: try await stack.temporaryDirectory("limits"), environment: Self.environment, openFileLimit: Self.fileLimit)
            try await exercise(host)
            #expect(await host.stop() == 0)
        }
    }

    private func exercise(_ host: ServeProcess) async throws {
        let port = try #require(URL(string: host.url)?.port)
        // More idle sockets than the server may open files, all from one address (127.0.0.2).
        let floodStart = ContinuousClock.now
        var flood: [LoopbackSocket] = []
        for _ in 0..<(Self.fileLimit + 44) { flood.append(try LoopbackSocket.connect(port: port, from: "127.0.0.2")) }
        defer { flood.forEach { $0.close() } }

        // (a) /health from another address still answers. Polling with a generous cap: no timing asserted here.
        try await eventually("/health answers 200 while \(flood.count) idle sockets are open", timeout: .seconds(30)) {
            (try? LoopbackSocket.status(of: "/health", port: port, timeout: .seconds(2))) == 200
        }

        // (d) The connections over the per-address cap were closed at once: long before the idle timeout (20 s),
        // every one of them is closed while the first 64 are still open.
        var closedCount = 0
        do {
            try await eventually("the \(flood.count - Self.perAddress) sockets over the per-address cap are closed", timeout: .seconds(12))
            {
                closedCount = flood.filter(\.isClosedByPeer).count
                return closedCount == flood.count - Self.perAddress
            }
        } catch {
            throw ProcessFailure("\(error) (closed: \(closedCount) of \(flood.count))")
        }
        #expect(ContinuousClock.now - floodStart < Self.idle, "the idle timeout passed before the check: the count above proves nothing")
        let admitted = flood.filter { !$0.isClosedByPeer }
        #expect(admitted.count == Self.perAddress)

        // (c) From a third address: a half-sent head, a body that stalls, a body that trickles under the minimum rate.
        let auth = "Authorization: Bearer \(host.apiKey)\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
        let sent = ContinuousClock.now
        let halfHead = try LoopbackSocket.connect(port: port, from: "127.0.0.3")
        try halfHead.send("GET /health HTTP/1.1\r\nHost: flotilla\r\n")
        let stalled = try LoopbackSocket.connect(port: port, from: "127.0.0.3")
        try stalled.send("POST /api/v1/compute/instances HTTP/1.1\r\nHost: flotilla\r\n\(auth){\"name\":")
        let trickle = try LoopbackSocket.connect(port: port, from: "127.0.0.3")
        try trickle.send("POST /api/v1/compute/instances HTTP/1.1\r\nHost: flotilla\r\n\(auth){")
        defer { [halfHead, stalled, trickle].forEach { $0.close() } }
        var open: [String] = []
        // Each poll sends the trickle one more byte (4 bytes a second, far under 1024), so it never stalls.
        do {
            try await eventually(
                "the half-sent head, the stalled body and the trickle are closed", timeout: .seconds(15), every: .milliseconds(250)
            ) {
                try? trickle.send(" ")
                open = [("half-sent head", halfHead), ("stalled body", stalled), ("trickle", trickle)].filter { !$0.1.isClosedByPeer }.map(
                    \.0)
                return open.isEmpty
            }
        } catch {
            throw ProcessFailure("\(error) (still open: \(open.joined(separator: ", ")))")
        }
        // A lower bound only (a slow machine can only make it later): none was closed before its deadline.
        #expect(ContinuousClock.now - sent >= min(Self.headerDeadline, Self.bodyDeadline))

        // (b) The admitted idle sockets are closed by the server once the idle timeout has passed.
        try await eventually("the \(admitted.count) admitted idle sockets are closed after the idle timeout", timeout: .seconds(60)) {
            admitted.allSatisfy(\.isClosedByPeer)
        }
        #expect(ContinuousClock.now - floodStart >= Self.idle)

        // Ordinary work still goes through.
        try await eventually("/health answers 200 after the flood", timeout: .seconds(30)) {
            (try? LoopbackSocket.status(of: "/health", port: port, timeout: .seconds(2))) == 200
        }
        let created = try await host.cli(["instance", "create", "after-flood", "--backend", "sim", "--image", "busybox"])
        #expect(created.status == 0, "\(created.err)")
    }
}
