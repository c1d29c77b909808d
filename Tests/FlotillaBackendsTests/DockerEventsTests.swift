import AsyncHTTPClient
import FlotillaCore
import FlotillaTestSupport
import Foundation
import Logging
import NIOHTTP1
import Testing

@testable import FlotillaBackends

/// `DockerBackend.followChanges` on a real daemon: every change made behind the backend's back, through the
/// Engine API with a client of the test's own, is reported with the instance id, and the backend's `inspect`
/// then shows it, as the agent does on each report.
@Suite struct DockerEventsTests {
    func newId() -> String { UUID().uuidString.lowercased() }

    /// A client of the Engine API that is not the backend's.
    static func engine(_ socketPath: String) -> DockerEngineClient {
        DockerEngineClient(socketPath: socketPath, requestTimeout: .seconds(30), bodyLimit: 1 << 20, http: .shared)
    }

    /// Sends SIGWINCH (ignored by the container, but a `kill` event) to `id`'s container until `recorder` has seen
    /// `id`: from then on the stream is open and nothing is missed.
    static func waitUntilFollowing(_ recorder: DockerChangeRecorder, _ engine: DockerEngineClient, _ id: String) async throws {
        try await eventually("the event stream is open", timeout: .seconds(30), every: .milliseconds(200)) {
            _ = try await engine.send(.POST, "/containers/flotilla-\(id)/kill", query: [("signal", "WINCH")])
            return recorder.first(id, from: 0) != nil
        }
    }

    @Test(
        "kill, start, pause, unpause, stop, start, rm -f behind the backend's back: changed names the instance and inspect shows the change",
        .docker)
    func outOfBandChanges() async throws {
        let docker = try await DockerFixture.shared.daemon()
        let backend = docker.backend()
        let engine = Self.engine(docker.socketPath)
        let id = newId()
        let foreign = newId()
        defer { for one in [id, foreign] { _ = try? docker.cli(["rm", "-f", "flotilla-\(one)"]) } }
        try await backend.create(DockerFixtures.request(id: id))
        try await backend.start(id: id)
        // Not Flotilla's: the name it would give instance `foreign`, but no ownership label.
        let made = try docker.cli(["create", "--network", "none", "--name", "flotilla-\(foreign)", DockerFixture.image, "sleep", "3600"])
        try #require(made.status == 0, "\(made.output)")

        let steps: [(name: String, method: HTTPMethod, suffix: String, query: [(String, String)], state: ObservedInstance.State?)] = [
            ("kill", .POST, "/kill", [], .stopped), ("start", .POST, "/start", [], .running), ("pause", .POST, "/pause", [], .paused),
            ("unpause", .POST, "/unpause", [], .running), ("stop", .POST, "/stop", [("t", "10")], .stopped),
            ("start", .POST, "/start", [], .running), ("rm -f", .DELETE, "", [("force", "true")], nil),
        ]
        var delays: [(String, Duration)] = []
        try await DockerChangeRecorder.following(backend) { recorder in
            try await Self.waitUntilFollowing(recorder, engine, id)
            for step in ["start", "kill"] {
                let r = try await engine.send(.POST, "/containers/flotilla-\(foreign)/\(step)")
                #expect(r.status == 204, "\(step) of the unlabelled container: \(r.message)")
            }
            for step in steps {
                let mark = recorder.changes.count
                let sent = ContinuousClock.now
                let r = try await engine.send(step.method, "/containers/flotilla-\(id)\(step.suffix)", query: step.query)
                #expect(r.status == 204, "\(step.name): \(r.status) \(r.message)")
                // As the agent does: inspect on each report, until one shows the change (kill: `kill` comes before
                // `die`). 30 s is a generous cap for a loaded machine, not a latency goal.
                var inspected = 0
                var seen: String?
                try await eventually("a report of \(id) after \(step.name) shows it in inspect", timeout: .seconds(30)) {
                    let reports = recorder.ids(from: mark).filter { $0 == id }.count
                    guard reports > inspected else { return false }
                    inspected = reports
                    do {
                        let observed = try await backend.inspect(id: id)
                        seen = "\(observed.state)"
                        return observed.state == step.state
                    } catch BackendError.notFound {
                        seen = "notFound"
                        return step.state == nil
                    }
                }
                if step.name == "kill" { #expect(try await backend.inspect(id: id).exitCode == 137) }
                let first = try #require(recorder.first(id, from: mark), "after \(step.name) (last seen \(seen ?? "-"))")
                delays.append((step.name, first.at - sent))
            }
            #expect(!recorder.ids(from: 0).contains(foreign), "a container without the ownership label is never reported")
        }
        let shown = delays.map { "\($0.0) \(Self.milliseconds($0.1)) ms" }.joined(separator: ", ")
        print("docker change -> changed(id) delay (request sent to first report): \(shown)")
    }

    @Test(
        "after the daemon restarts, following again from the kept cursor delivers what happened in the gap; a fresh backend does not",
        .docker)
    func resumesAfterDaemonRestart() async throws {
        try await DockerRestartableDaemon.with { daemon in
            let backend = DockerBackend(configuration: .init(socketPath: daemon.socketPath))
            let engine = Self.engine(daemon.socketPath)
            let running = newId()
            let gap = newId()
            try await backend.create(DockerFixtures.request(id: running))
            try await backend.start(id: running)
            try await backend.create(DockerFixtures.request(id: gap))

            try await DockerChangeRecorder.following(backend) { recorder in
                try await Self.waitUntilFollowing(recorder, engine, running)
                try await daemon.stop()
                // 60 s: the daemon first stops its containers; a cap for a loaded machine, not a latency goal.
                try await eventually("the follow ends when the daemon goes", timeout: .seconds(60)) { recorder.ended != nil }
                guard case .unavailable? = recorder.ended as? BackendError else {
                    Issue.record("expected BackendError.unavailable, got \(String(describing: recorder.ended))")
                    return
                }
            }
            try await daemon.start()
            // In the gap (the daemon back, nobody following), behind the backend's back: both containers started.
            for one in [gap, running] {
                let started = try await engine.send(.POST, "/containers/flotilla-\(one)/start")
                #expect(started.status == 204, "\(started.message)")
            }

            let fresh = DockerBackend(configuration: .init(socketPath: daemon.socketPath))
            try await DockerChangeRecorder.following(backend) { resumed in
                try await eventually("the gap's starts are delivered", timeout: .seconds(30)) {
                    resumed.first(gap, from: 0) != nil && resumed.first(running, from: 0) != nil
                }
                #expect(try await backend.inspect(id: gap).state == .running)
                // A backend without the cursor, following from now on, never hears of them.
                try await DockerChangeRecorder.following(fresh) { unresumed in
                    try await Self.waitUntilFollowing(unresumed, engine, running)
                    #expect(unresumed.first(gap, from: 0) == nil, "without the cursor the gap is lost")
                }
            }
        }
    }

    @Test("a stream idle past its idle timeout is reopened from the cursor: no failure, no repeat, nothing lost", .docker)
    func idleStreamIsReopened() async throws {
        let docker = try await DockerFixture.shared.daemon()
        let backend = docker.backend()
        // The follower says (at trace level) each time it reopens an idle stream: the test waits for that.
        let capture = LogCapture()
        let follower = DockerBackend(
            configuration: .init(socketPath: docker.socketPath, eventIdleTimeout: .seconds(1)),
            logger: capture.logger(label: "flotilla.backend.docker", level: .trace))
        let reopenings: @Sendable () -> Int = { capture.all.filter { $0.message == "docker event stream idle; reopening it" }.count }
        let engine = Self.engine(docker.socketPath)
        let id = newId()
        defer { _ = try? docker.cli(["rm", "-f", "flotilla-\(id)"]) }
        try await backend.create(DockerFixtures.request(id: id))
        try await backend.start(id: id)
        try await DockerChangeRecorder.following(follower) { recorder in
            try await Self.waitUntilFollowing(recorder, engine, id)
            // Once the stream was idle for a whole idle timeout (it was reopened), every event of the kills above is in.
            // (Other tests' containers on the shared daemon are reported too: count this one's.)
            try await eventually("the idle stream is reopened", timeout: .seconds(30)) { reopenings() >= 1 }
            let settled = recorder.changes.count
            let reports = recorder.ids(from: 0).filter { $0 == id }.count
            // Three more idle timeouts: the stream is reopened each time, resuming after the last event.
            let reopened = reopenings()
            try await eventually("the stream is reopened three more times", timeout: .seconds(30)) { reopenings() >= reopened + 3 }
            #expect(recorder.ended == nil, "\(String(describing: recorder.ended))")
            #expect(recorder.ids(from: 0).filter { $0 == id }.count == reports, "nothing is delivered twice on reopening")
            let paused = try await engine.send(.POST, "/containers/flotilla-\(id)/pause")
            #expect(paused.status == 204)
            try await eventually("the pause after the idle time is reported", timeout: .seconds(30)) {
                recorder.first(id, from: settled) != nil
            }
            #expect(try await backend.inspect(id: id).state == .paused)
        }
    }

    @Test("an event line over the line limit is skipped and the stream goes on", .docker)
    func oversizedEventIsSkipped() async throws {
        let docker = try await DockerFixture.shared.daemon()
        let backend = docker.backend()
        // Events carry the container's labels: the big one's are over 2 KiB, the small one's well under.
        let follower = DockerBackend(configuration: .init(socketPath: docker.socketPath, eventLineLimit: 2048))
        let engine = Self.engine(docker.socketPath)
        let big = newId()
        let small = newId()
        defer { for one in [big, small] { _ = try? docker.cli(["rm", "-f", "flotilla-\(one)"]) } }
        try await backend.create(DockerFixtures.request(id: big, labels: ["pad": String(repeating: "x", count: 3000)]))
        try await backend.create(DockerFixtures.request(id: small))
        try await DockerChangeRecorder.following(follower) { recorder in
            try await backend.start(id: small)
            try await Self.waitUntilFollowing(recorder, engine, small)
            try await backend.start(id: big)
            let mark = recorder.changes.count
            let paused = try await engine.send(.POST, "/containers/flotilla-\(small)/pause")
            #expect(paused.status == 204)
            try await eventually("the small container's pause, after the big one's start", timeout: .seconds(30)) {
                recorder.first(small, from: mark) != nil
            }
            #expect(recorder.first(big, from: 0) == nil, "the oversized events are skipped")
            #expect(recorder.ended == nil, "\(String(describing: recorder.ended))")
        }
    }

    @Test("ten follows at once leave the other calls free: a stream holds no connection of the shared pool", .docker)
    func followsDoNotStarveCalls() async throws {
        let docker = try await DockerFixture.shared.daemon()
        let backend = DockerBackend(configuration: .init(socketPath: docker.socketPath, requestTimeout: .seconds(20)))
        let engine = Self.engine(docker.socketPath)
        let id = newId()
        defer { _ = try? docker.cli(["rm", "-f", "flotilla-\(id)"]) }
        try await backend.create(DockerFixtures.request(id: id))
        try await backend.start(id: id)
        // AsyncHTTPClient keeps 8 connections per socket: ten streams on that pool would leave calls waiting.
        let seen = (0..<10).map { _ in LockedBox(false) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for box in seen {
                group.addTask { try? await backend.followChanges { if $0 == id { box.withLock { $0 = true } } } }
            }
            try await eventually("all ten streams are open", timeout: .seconds(60), every: .milliseconds(200)) {
                _ = try await engine.send(.POST, "/containers/flotilla-\(id)/kill", query: [("signal", "WINCH")])
                return seen.allSatisfy(\.value)
            }
            #expect(try await backend.inspect(id: id).state == .running)
            #expect(try await backend.list().contains { $0.id == id })
            group.cancelAll()
            try await group.waitForAll()
        }
    }

    @Test("no daemon: followChanges throws BACKEND_UNAVAILABLE at once")
    func noDaemon() async throws {
        let backend = DockerBackend(configuration: .init(socketPath: "/nonexistent/flotilla-events/docker.sock"))
        do {
            try await backend.followChanges { _ in }
            Issue.record("followChanges returned")
        } catch BackendError.unavailable(let reason) {
            #expect(reason.contains("/nonexistent/flotilla-events/docker.sock"), "\(reason)")
        } catch {
            Issue.record("expected BackendError.unavailable, got \(error)")
        }
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}
