import FlotillaBackends
import FlotillaCore
import FlotillaTestSupport
import Foundation
import Testing

/// `followChanges` of the `kvm` backend on real QEMU (TCG): changes made behind Flotilla's back (signals to
/// the QEMU pid, QMP commands from another client, a guest poweroff) call `changed` with the instance id, and
/// `inspect` right after that call shows the new state with its reason.
@Suite(.serialized, .enabled(if: KVMTestSupport.enabled, KVMTestSupport.skipReason))
struct QEMUChangeTests {
    /// The `changed` calls of one follower, with when they came.
    final class Recorder: Sendable {
        struct Call: Sendable {
            var id: String
            var at: ContinuousClock.Instant
        }
        let calls = LockedBox<[Call]>([])
        var count: Int { calls.value.count }
        func record(_ id: String) { calls.withLock { $0.append(Call(id: id, at: .now)) } }
    }

    /// Runs `body` with a follower of `backend`'s changes, cancelled and awaited afterwards.
    static func following(_ backend: QEMUBackend, _ body: (Recorder) async throws -> Void) async throws {
        let recorder = Recorder()
        let follower = Task { try await backend.followChanges { recorder.record($0) } }
        let result: Result<Void, any Error>
        do {
            try await body(recorder)
            result = .success(())
        } catch {
            result = .failure(error)
        }
        follower.cancel()
        _ = await follower.result
        try result.get()
    }

    /// Waits for `changed(id)` calls after the first `mark` calls; after each one seen, inspects at once,
    /// until the observation is `expected`, and returns it. Prints the delays from `since` (when `cause` was
    /// sent) to the first such call and to the inspect that showed `what`.
    static func change(
        _ what: String, of id: String, after cause: String, in recorder: Recorder, mark: Int, since: ContinuousClock.Instant,
        backend: QEMUBackend, timeout: Duration = .seconds(60), _ expected: (ObservedInstance) -> Bool
    ) async throws -> ObservedInstance {
        var seen = mark
        var found: ObservedInstance?
        var last: ObservedInstance?
        do {
            // Generous cap: a signalled QEMU ends within milliseconds; TCG on a busy 2-core machine is slow.
            try await eventually("changed(\(id)) then inspect shows \(what)", timeout: timeout, every: .milliseconds(5)) {
                let calls = recorder.calls.value
                defer { seen = calls.count }
                guard calls[seen...].contains(where: { $0.id == id }) else { return false }
                let observed = try await backend.inspect(id: id)
                last = observed
                if expected(observed) { found = observed }
                return found != nil
            }
        } catch {
            Issue.record("last inspect after a change: \(String(describing: last))")
            throw error
        }
        let settled = ContinuousClock.now - since
        let first = try #require(recorder.calls.value[mark...].first { $0.id == id })
        print("kvm change delay, \(cause): changed after \(first.at - since), inspect showed \(what) after \(settled)")
        return try #require(found)
    }

    static func start(_ backend: QEMUBackend, _ guest: GuestImageFixture.Guest) async throws -> (String, Int32) {
        let id = QEMUFixtures.newId()
        try await backend.create(QEMUFixtures.request(id: id, guest: guest))
        try await backend.start(id: id)
        return (id, try #require(try await backend.pid(id: id)))
    }

    @Test func signalsFromOutsideAreReportedAsTheKillsTheyAre() async throws {
        try await QEMUFixtures.withBackend { backend, guest, _ in
            let (killed, killedPid) = try await Self.start(backend, guest)
            let (terminated, terminatedPid) = try await Self.start(backend, guest)
            try await Self.following(backend) { recorder in
                // (a) SIGKILL of the QEMU pid.
                var mark = recorder.count
                var sentAt = ContinuousClock.now
                kill(killedPid, SIGKILL)
                let afterKill = try await Self.change(
                    "error", of: killed, after: "SIGKILL", in: recorder, mark: mark, since: sentAt, backend: backend
                ) {
                    $0.state == .error
                }
                #expect(afterKill.exitCode == 137)
                #expect(afterKill.description == "QEMU was killed by signal 9 (SIGKILL), not sent by Flotilla")

                // (b) SIGTERM of the QEMU pid: QEMU exits with 0 after saying who sent it; not a guest poweroff.
                mark = recorder.count
                sentAt = ContinuousClock.now
                kill(terminatedPid, SIGTERM)
                let afterTerm = try await Self.change(
                    "error", of: terminated, after: "SIGTERM", in: recorder, mark: mark, since: sentAt, backend: backend
                ) { $0.state == .error }
                #expect(afterTerm.exitCode == 143)
                let prefix = "QEMU ended by signal 15 (SIGTERM) sent from outside Flotilla (pid \(getpid())"
                #expect(afterTerm.description?.hasPrefix(prefix) == true, "\(afterTerm.description ?? "")")
                #expect(!KVMTestSupport.isAlive(terminatedPid))
            }
        }
    }

    @Test func qmpStopAndContFromAnotherClientThenAGuestPoweroff() async throws {
        try await QEMUFixtures.withBackend { backend, guest, dir in
            let (id, pid) = try await Self.start(backend, guest)
            let qmp = dir + "/" + id + "/qmp.sock"
            try await Self.following(backend) { recorder in
                // (c) Another client pauses and resumes the VM over the main QMP socket.
                var mark = recorder.count
                var sentAt = ContinuousClock.now
                try await QMPClient.execute(socketPath: qmp, "stop", timeout: .seconds(10))
                let paused = try await Self.change(
                    "paused", of: id, after: "QMP stop from another client", in: recorder, mark: mark, since: sentAt, backend: backend
                ) {
                    $0.state == .paused
                }
                #expect(paused.state == .paused)
                mark = recorder.count
                sentAt = ContinuousClock.now
                try await QMPClient.execute(socketPath: qmp, "cont", timeout: .seconds(10))
                _ = try await Self.change(
                    "running", of: id, after: "QMP cont from another client", in: recorder, mark: mark, since: sentAt, backend: backend
                ) {
                    $0.state == .running
                }

                // (d) A guest poweroff: the ACPI power button pressed from outside, which the test guest's acpid
                // turns into `poweroff -f`; QEMU then exits with 0.
                try await QEMUBackendTests.waitForMarker(backend, id)
                mark = recorder.count
                sentAt = ContinuousClock.now
                try await QMPClient.execute(socketPath: qmp, "system_powerdown", timeout: .seconds(10))
                let off = try await Self.change(
                    "stopped", of: id, after: "system_powerdown from another client (guest poweroff)", in: recorder, mark: mark,
                    since: sentAt, backend: backend, timeout: .seconds(120)
                ) { $0.state == .stopped }
                #expect(off.description == "the guest powered off (QEMU exited with code 0)")
                #expect(off.exitCode == 0)
                #expect(!KVMTestSupport.isAlive(pid))
                #expect(try await backend.console(id: id, lines: 50).contains("FLOTILLA-GUEST-POWEROFF"))
            }
        }
    }

    @Test func anAdoptedVMIsFollowedThroughItsEventsSocket() async throws {
        try await QEMUFixtures.withBackend { first, guest, dir in
            let (id, pid) = try await Self.start(first, guest)
            // As when `flotilla serve` ends: its connections close, the VM runs on.
            await first.shutdown()
            let second = QEMUFixtures.backend(directory: dir)
            #expect(try await second.list().map(\.id) == [id])
            #expect(try await second.pid(id: id) == pid, "adopted, not restarted")
            try await Self.following(second) { recorder in
                var mark = recorder.count
                var sentAt = ContinuousClock.now
                try await QMPClient.execute(socketPath: dir + "/" + id + "/qmp.sock", "stop", timeout: .seconds(10))
                _ = try await Self.change(
                    "paused", of: id, after: "QMP stop of an adopted QEMU", in: recorder, mark: mark, since: sentAt, backend: second
                ) {
                    $0.state == .paused
                }
                // The adopted QEMU is not second's child: its end is seen by its watcher, its reason in its log.
                mark = recorder.count
                sentAt = ContinuousClock.now
                kill(pid, SIGTERM)
                let ended = try await Self.change(
                    "error", of: id, after: "SIGTERM of an adopted QEMU", in: recorder, mark: mark, since: sentAt, backend: second
                ) {
                    $0.state == .error
                }
                #expect(ended.description?.hasPrefix("QEMU ended by signal 15 (SIGTERM) sent from outside Flotilla") == true)
            }
            await second.shutdown()
        }
    }

    @Test func severalFollowersEachGetEveryChangeAndShutdownEndsThem() async throws {
        try await QEMUFixtures.withBackend { backend, guest, dir in
            let (id, pid) = try await Self.start(backend, guest)
            let one = Recorder()
            let two = Recorder()
            let first = Task { try await backend.followChanges { one.record($0) } }
            let second = Task { try await backend.followChanges { two.record($0) } }
            // Both follow once a change reaches both: pause and resume from outside until it does.
            try await eventually("both followers hear of a QMP stop and cont", timeout: .seconds(30), every: .milliseconds(100)) {
                try await QMPClient.execute(socketPath: dir + "/" + id + "/qmp.sock", "stop", timeout: .seconds(10))
                try await QMPClient.execute(socketPath: dir + "/" + id + "/qmp.sock", "cont", timeout: .seconds(10))
                return one.count > 0 && two.count > 0
            }
            let marks = (one.count, two.count)
            kill(pid, SIGKILL)
            try await eventually("both followers hear of the kill", timeout: .seconds(60)) {
                one.calls.value[marks.0...].contains { $0.id == id } && two.calls.value[marks.1...].contains { $0.id == id }
            }
            await backend.shutdown()
            await #expect(throws: BackendError.self) { try await first.value }
            await #expect(throws: BackendError.self) { try await second.value }
            await #expect(throws: BackendError.self) { try await backend.followChanges { _ in } }
        }
    }
}
