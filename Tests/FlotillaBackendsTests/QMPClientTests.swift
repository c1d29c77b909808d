import FlotillaBackends
import FlotillaCore
import Foundation
import Testing

/// `QMPClient` against a scripted QMP server on a unix socket: the handshake, ids, errors, events, deadlines.
@Suite struct QMPClientTests {
    /// A one-connection server: sends `greeting` (if any), then answers each received line with the next
    /// entry of `replies` (several lines each, written as they are).
    final class FakeQMP: Sendable {
        let path: String
        private let fd: Int32
        private let done = DispatchSemaphore(value: 0)

        init(greeting: String?, replies: [[String]]) throws {
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
                _ = read(client, &buffer, buffer.count)
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
}
