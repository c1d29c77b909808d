import FlotillaCore
import FlotillaTestSupport
import Foundation
import Testing

@testable import FlotillaBackends

/// `QMPClient` and `QMPEventConnection` against a scripted QMP server on a unix socket: the handshake, ids,
/// errors, events, deadlines, cancellation.
@Suite struct QMPClientTests {
    /// A one-connection server: sends `greeting` (if any), then answers each received line with the next
    /// entry of `replies` (several lines each, written as they are); then holds the connection until the
    /// client closes it, or closes it at once when `hold` is false.
    final class FakeQMP: Sendable {
        let path: String
        private let fd: Int32
        private let done = DispatchSemaphore(value: 0)

        init(greeting: String?, replies: [[String]], hold: Bool = true) throws {
            let path = "/tmp/flt-qmp-\(UUID().uuidString.prefix(8)).sock"
            self.path = path
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (i, b) in path.utf8.enumerated() { raw[i] = b }
            }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard bound == 0, listen(fd, 1) == 0 else { throw QMPError.connect(path, "cannot listen") }
            self.fd = fd
            let done = self.done
            Thread.detachNewThread {
                defer { done.signal() }
                let client = accept(fd, nil, nil)
                guard client >= 0 else { return }
                defer { close(client) }
                func send(_ text: String) { _ = text.withCString { write(client, $0, strlen($0)) } }
                if let greeting { send(greeting + "\r\n") }
                var buffer = [UInt8](repeating: 0, count: 4096)
                for reply in replies {
                    var line: [UInt8] = []
                    while !line.contains(10) {
                        let n = read(client, &buffer, buffer.count)
                        if n <= 0 { return }
                        line += buffer[0..<n]
                    }
                    for text in reply { send(text + "\r\n") }
                }
                // Hold the connection until the client closes it.
                if hold { _ = read(client, &buffer, buffer.count) }
            }
        }

        /// Waits for the server thread to end, then removes the socket.
        func finish() {
            _ = done.wait(timeout: .now() + 10)
            close(fd)
            unlink(path)
        }
    }

    static let greeting = #"{"QMP": {"version": {"qemu": {"micro": 2, "minor": 2, "major": 7}}, "capabilities": []}}"#

    @Test func handshakeThenAnswerMatchedByIdWithEventsInBetween() async throws {
        let server = try FakeQMP(
            greeting: Self.greeting,
            replies: [
                [#"{"return": {}, "id": 1}"#],
                [
                    #"{"event": "STOP", "timestamp": {"seconds": 1, "microseconds": 2}}"#,
                    #"{"return": {"status": "paused", "running": false}, "id": 2}"#,
                ],
            ])
        defer { server.finish() }
        let status = try await QMPClient.execute(socketPath: server.path, "query-status", timeout: .seconds(5))
        #expect(status == .object(["status": .string("paused"), "running": .bool(false)]))
    }

    @Test func aQMPErrorIsThrownWithItsClass() async throws {
        let server = try FakeQMP(
            greeting: Self.greeting,
            replies: [[#"{"return": {}, "id": 1}"#], [#"{"error": {"class": "CommandNotFound", "desc": "nope"}, "id": 2}"#]])
        defer { server.finish() }
        await #expect(throws: QMPError.commandFailed(command: "bogus", errorClass: "CommandNotFound", description: "nope")) {
            try await QMPClient.execute(socketPath: server.path, "bogus", timeout: .seconds(5))
        }
    }

    @Test func aSilentServerMeetsTheDeadline() async throws {
        let server = try FakeQMP(greeting: nil, replies: [])
        defer { server.finish() }
        let began = ContinuousClock.now
        await #expect(throws: QMPError.timeout) {
            try await QMPClient.execute(socketPath: server.path, "query-status", timeout: .milliseconds(300))
        }
        #expect(ContinuousClock.now - began < .seconds(3))
    }

    @Test func noSocketIsAConnectError() async throws {
        let error = await #expect(throws: QMPError.self) {
            try await QMPClient.execute(socketPath: "/tmp/flt-no-such-\(UUID().uuidString.prefix(6)).sock", "query-status")
        }
        if case .connect = error {} else { Issue.record("expected a connect error, got \(String(describing: error))") }
    }

    // MARK: - The events connection

    static let capabilitiesAccepted = #"{"return": {}, "id": 1}"#
    static func event(_ name: String, _ data: String? = nil) -> String {
        #"{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "\#(name)""# + (data.map { #", "data": \#($0)"# } ?? "") + "}"
    }

    @Test func eventsAreDeliveredInOrderUntilQEMUCloses() async throws {
        let server = try FakeQMP(
            greeting: Self.greeting,
            replies: [
                [
                    Self.event("RESUME"), Self.capabilitiesAccepted, Self.event("STOP"),
                    Self.event("SHUTDOWN", #"{"guest": false, "reason": "host-signal"}"#),
                ]
            ], hold: false)
        defer { server.finish() }
        let events = LockedBox<[QMPEvent]>([])
        try await QMPEventConnection.follow(socketPath: server.path, timeout: .seconds(5)) { event in
            events.withLock { $0.append(event) }
        }
        // Events sent before the handshake ended are not reported; the rest are, in order.
        #expect(events.value.map(\.name) == ["STOP", "SHUTDOWN"])
        #expect(events.value.last?.data == .object(["guest": .bool(false), "reason": .string("host-signal")]))
    }

    @Test func cancellingTheFollowerClosesTheConnection() async throws {
        let server = try FakeQMP(greeting: Self.greeting, replies: [[Self.capabilitiesAccepted, Self.event("STOP")]])
        defer { server.finish() }
        let events = LockedBox<[String]>([])
        let follower = Task {
            try await QMPEventConnection.follow(socketPath: server.path, timeout: .seconds(5)) { event in
                events.withLock { $0.append(event.name) }
            }
        }
        try await eventually("the STOP event arrives") { events.value == ["STOP"] }
        follower.cancel()
        // The follower returns (without an error) and the server sees the connection closed.
        try await follower.value
    }

    @Test func aSilentEventsMonitorMeetsTheHandshakeDeadline() async throws {
        let server = try FakeQMP(greeting: nil, replies: [])
        defer { server.finish() }
        await #expect(throws: QMPError.timeout) {
            try await QMPEventConnection.follow(socketPath: server.path, timeout: .milliseconds(300)) { _ in }
        }
    }

    @Test func anOverlongEventLineIsRefused() async throws {
        let long = Self.event("STOP", "\"" + String(repeating: "x", count: 5000) + "\"")
        let server = try FakeQMP(greeting: Self.greeting, replies: [[Self.capabilitiesAccepted, long]])
        defer { server.finish() }
        let error = await #expect(throws: QMPError.self) {
            try await QMPEventConnection.follow(socketPath: server.path, timeout: .seconds(5), lineLimit: 1024) { _ in }
        }
        if case .protocolError(let why) = error {
            #expect(why.contains("longer than 1024"))
        } else {
            Issue.record("expected a protocol error, got \(String(describing: error))")
        }
    }

    @Test func noEventsSocketIsAConnectError() async throws {
        let error = await #expect(throws: QMPError.self) {
            try await QMPEventConnection.follow(socketPath: "/tmp/flt-no-such-\(UUID().uuidString.prefix(6)).sock", timeout: .seconds(1)) {
                _ in
            }
        }
        if case .connect = error {} else { Issue.record("expected a connect error, got \(String(describing: error))") }
    }
}
