import FlotillaCore
import Foundation
import Testing

/// Every change of an instance record (``InstanceTransitions``), in one place.
@Suite struct InstanceTransitionsTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func instance(_ state: InstanceState, _ desired: DesiredState = .running, worker: String? = "w1") -> Instance {
        var i = Instance(
            id: "i1", name: "web", kind: .vm, backend: .kvm, spec: InstanceSpec(config: InstanceConfig(image: "debian-12")),
            createdAt: now - 100)
        i.state = state
        i.desired = desired
        i.workerId = worker
        i.restarts = RestartStatus(attempts: 2, nextAttemptAt: now + 4)
        i.stateDescription = "exited with code 1"
        return i
    }

    @Test func acceptingAnActionSetsItsStatesAndResetsThePolicy() throws {
        let stopped = try InstanceTransitions.accept(
            .stop, options: ActionOptions(force: true, timeoutSeconds: 7), on: Self.instance(.running), now: Self.now)
        #expect(stopped.state == .stopping && stopped.desired == .stopped)
        #expect(stopped.stopOptions == StopOptions(force: true, timeoutSeconds: 7))
        #expect(stopped.restarts == nil && stopped.stateDescription == nil && stopped.updatedAt == Self.now)
        let restarted = try InstanceTransitions.accept(
            .restart, options: ActionOptions(hard: true), on: Self.instance(.running), now: Self.now)
        #expect(restarted.state == .restarting && restarted.hardRestart && restarted.restartCount == 1)
        #expect(restarted.stopOptions == StopOptions(force: true, timeoutSeconds: 30))
    }

    @Test func deletingWhatWasNeverPlacedFinishesAtOnce() throws {
        let deleted = try InstanceTransitions.accept(
            .delete, options: ActionOptions(), on: Self.instance(.pending, worker: nil), now: Self.now)
        #expect(deleted.state == .deleted && deleted.desired == .deleted && deleted.terminatedAt == Self.now)
    }

    /// Surface C's stricter rules are a policy of the one table, not a second table.
    @Test(arguments: [
        (LifecycleAction.start, InstanceState.error, true, false),
        (.start, .stopped, true, true),
        (.stop, .paused, true, false),
        (.stop, .error, true, false),
        (.stop, .running, true, true),
        (.restart, .running, true, true),
        (.pause, .running, true, true),
        (.delete, .error, true, true),
    ])
    func rules(_ action: LifecycleAction, _ state: InstanceState, _ standard: Bool, _ vmAPI: Bool) {
        #expect(LifecycleStateMachine.accepts(action, in: state, rules: .standard) == standard)
        #expect(LifecycleStateMachine.accepts(action, in: state, rules: .vmAPI) == vmAPI)
        let accepted = try? InstanceTransitions.accept(
            action, options: ActionOptions(rules: .vmAPI), on: Self.instance(state), now: Self.now)
        #expect((accepted != nil) == vmAPI)
    }

    @Test func placingAndWaiting() {
        let placed = InstanceTransitions.place(Self.instance(.pending, worker: nil), on: "w2", now: Self.now)
        #expect(placed.workerId == "w2" && placed.state == .creating && placed.stateDescription == nil)
        let waiting = InstanceTransitions.waitForWorker(Self.instance(.pending, worker: nil), reason: "no room", now: Self.now)
        #expect(waiting?.stateDescription == "waiting for a worker: no room")
        #expect(waiting.flatMap { InstanceTransitions.waitForWorker($0, reason: "no room", now: Self.now) } == nil)
    }

    /// Rescheduling off a dead worker and migrating use the same step, so they cannot drift.
    @Test func returningToPending() {
        var i = Self.instance(.paused, .paused)
        i.hardRestart = true
        i.stopOptions = StopOptions(force: true, timeoutSeconds: 5)
        let new = InstanceTransitions.returnToPending(i, from: "w1", reason: "migrating from worker w1", now: Self.now)
        #expect(new.workerId == nil && new.state == .pending && new.desired == .running)
        #expect(new.migratedFrom == "w1" && new.stateDescription == "migrating from worker w1")
        #expect(new.stopOptions == StopOptions() && !new.hardRestart && new.restarts == nil)
        // A migration restores what was wanted before it stopped the instance to move it.
        let moved = InstanceTransitions.returnToPending(
            Self.instance(.stopped, .stopped), from: "w1", reason: "migrating", desired: .running, now: Self.now)
        #expect(moved.desired == .running)
    }

    @Test func aReportOnAChangedInstanceIsStale() {
        let seen = Self.instance(.running)
        var current = seen
        current.desired = .stopped
        current.state = .stopping
        #expect(InstanceTransitions.record(Report(state: .stopped), on: current, actedOn: seen, now: Self.now) == nil)
        var moved = seen
        moved.workerId = "w2"
        #expect(InstanceTransitions.record(Report(state: .stopped), on: moved, actedOn: seen, now: Self.now) == nil)
    }

    @Test func aReportRecordsStateLaunchAndPolicy() throws {
        var seen = Self.instance(.starting)
        seen.generation = 3
        let new = try #require(
            InstanceTransitions.record(
                Report(state: .running, launched: true, restarts: RestartStatus(attempts: 1)), on: seen, actedOn: seen,
                now: Self.now))
        #expect(new.state == .running && new.launchedAt == Self.now && new.appliedGeneration == 3)
        #expect(new.restarts == RestartStatus(attempts: 1) && new.stateDescription == nil)
        let gaveUp = try #require(
            InstanceTransitions.record(
                Report(state: .stopped, description: "not restarted", desired: .stopped), on: Self.instance(.running),
                actedOn: Self.instance(.running), now: Self.now))
        #expect(gaveUp.desired == .stopped && gaveUp.terminatedAt == Self.now)
    }

    @Test func aDeletionReleasesTheNameInTheSameWrite() throws {
        let old = Self.instance(.deleting, .deleted)
        let deleted = try #require(
            InstanceTransitions.record(Report(state: .deleted), on: old, actedOn: old, now: Self.now))
        #expect(deleted.state == .deleted && deleted.terminatedAt == Self.now)
        let ops = try InstanceTransitions.writeOps(old: old, new: deleted)
        #expect(ops.contains(.delete(key: StoreKeys.name("web"))))
        #expect(try !InstanceTransitions.writeOps(old: old, new: old).contains(.delete(key: StoreKeys.name("web"))))
    }
}
