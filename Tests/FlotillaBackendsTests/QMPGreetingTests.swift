import FlotillaCore
import Foundation
import Testing

@testable import FlotillaBackends

/// QEMU may write an event on a new QMP connection before its greeting (a job's `JOB_STATUS_CHANGE` emitted while the
/// monitor passes from one client to the next, as during a kvm snapshot in `flotilla serve`): the client skips it.
@Suite struct QMPGreetingTests {
    static let event =
        #"{"event": "JOB_STATUS_CHANGE", "data": {"status": "concluded", "id": "flotilla-save-s1-0a1b2c3d"}, "#
        + #""timestamp": {"seconds": 1, "microseconds": 2}}"#

    @Test func eventsBeforeTheGreetingAreSkippedAndTheCommandIsAnswered() async throws {
        let server = try QMPClientTests.FakeQMP(
            greeting: Self.event + "\r\n" + Self.event + "\r\n" + QMPClientTests.greeting,
            replies: [[#"{"return": {}, "id": 1}"#], [#"{"return": {"status": "running", "running": true}, "id": 2}"#]])
        defer { server.finish() }
        let status = try await QMPClient.execute(socketPath: server.path, "query-status", timeout: .seconds(5))
        #expect(status == .object(["status": .string("running"), "running": .bool(true)]))
    }

    @Test func anAnswerInsteadOfTheGreetingIsStillAProtocolError() async throws {
        let server = try QMPClientTests.FakeQMP(greeting: Self.event + "\r\n" + #"{"return": {}}"#, replies: [])
        defer { server.finish() }
        let error = await #expect(throws: QMPError.self) {
            try await QMPClient.execute(socketPath: server.path, "query-status", timeout: .seconds(5))
        }
        #expect(error?.description.hasPrefix("QMP protocol error: expected the QMP greeting") == true, "\(String(describing: error))")
    }
}
