import FlotillaCore
import Foundation
import Testing

/// The owning host's decisions (``Reconciler``): a row per case that matters, and every (state, desired,
/// observation) combination checked against the rules every plan keeps.
@Suite struct ReconcilerTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let reconciler = Reconciler(backoff: RestartBackoff(initial: 1, maximum: 60, resetAfter: 10))

    static func instance(
        _ state: InstanceState, _ desired: DesiredState, policy: RestartPolicy? = nil, restarts: RestartStatus? = nil,
        launchedAgo: TimeInterval? = 100, description: String? = nil
    ) -> Instance {
        var i = Instance(
            id: "i1", name: "web", kind: .container, backend: .docker,
            spec: InstanceSpec(config: InstanceConfig(image: "busybox"), restartPolicy: policy), createdAt: now - 1000)
        i.state = state
        i.desired = desired
        i.workerId = "w1"
        i.restarts = restarts
        i.launchedAt = launchedAgo.map { now - $0 }
        i.appliedGeneration = 1
        i.stateDescription = description
        return i
    }

    static func seen(_ s: ObservedInstance.State, code: Int32? = nil, _ d: String? = nil) -> Observation {
        .present(ObservedInstance(id: "i1", state: s, description: d, exitCode: code))
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var instance: Instance
        var observation: Observation
        var steps: [BackendStep]
        var state: InstanceState?
        var check: @Sendable (ReconcilePlan) -> Bool = { _ in true }
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        // Actions in flight.
        Row(
            name: "creating, absent: create and start", instance: instance(.creating, .running), observation: .absent,
            steps: [.create, .start], state: .running, check: { $0.report?.launched == true }),
        Row(
            name: "creating, already there (a restart between create and report): adopt, start",
            instance: instance(.creating, .running), observation: seen(.created), steps: [.start], state: .running),
        Row(
            name: "creating with desired stopped: create only", instance: instance(.creating, .stopped), observation: .absent,
            steps: [.create], state: .stopped),
        Row(
            name: "starting, lost by the backend: create again", instance: instance(.starting, .running),
            observation: .absent, steps: [.create, .start], state: .running),
        Row(
            name: "starting, already running: just record", instance: instance(.starting, .running),
            observation: seen(.running), steps: [], state: .running),
        Row(
            name: "stopping, running: stop with the user's options", instance: instance(.stopping, .stopped),
            observation: seen(.running), steps: [.stop(force: false, timeoutSeconds: 30)], state: .stopped),
        Row(
            name: "stopping, already stopped: just record", instance: instance(.stopping, .stopped),
            observation: seen(.stopped, code: 0), steps: [], state: .stopped),
        Row(
            name: "restarting, running: restart", instance: instance(.restarting, .running), observation: seen(.running),
            steps: [.restart(hard: false, timeoutSeconds: 30)], state: .running),
        Row(
            name: "deleting, running, graceful: stop then delete", instance: instance(.deleting, .deleted),
            observation: seen(.running), steps: [.stop(force: false, timeoutSeconds: 30), .delete(force: true)],
            state: .deleted),
        Row(
            name: "deleting, stopped: delete", instance: instance(.deleting, .deleted), observation: seen(.stopped),
            steps: [.delete(force: false)], state: .deleted),
        Row(
            name: "deleting, already gone: finish", instance: instance(.deleting, .deleted), observation: .absent, steps: [],
            state: .deleted),
        Row(
            name: "a delete that failed (error, desired deleted) is retried", instance: instance(.error, .deleted),
            observation: seen(.stopped), steps: [.delete(force: false)], state: .deleted),
        // The truth first: changes behind Flotilla's back.
        Row(
            name: "docker kill (137) of an always instance: recorded, restart planned in 1 s",
            instance: instance(.running, .running, policy: .always), observation: seen(.stopped, code: 137, "exited with code 137"),
            steps: [], state: .stopped,
            check: {
                $0.report?.restarts == RestartStatus(attempts: 1, nextAttemptAt: now + 1)
                    && $0.wakeAt == now + 1
                    && $0.report?.description == "exited with code 137; restarting in 1 s (attempt 1, restart policy always)"
            }),
        Row(
            name: "docker start of a stopped instance that should run: recorded as running",
            instance: instance(.stopped, .running, restarts: RestartStatus(attempts: 1, nextAttemptAt: now + 5)),
            observation: seen(.running), steps: [], state: .running, check: { $0.report?.restarts == nil }),
        Row(
            name: "docker start of an instance stopped on purpose: recorded as running (then stopped again)",
            instance: instance(.stopped, .stopped), observation: seen(.running), steps: [], state: .running),
        Row(
            name: "running but desired stopped (after an out-of-band start): stop it again",
            instance: instance(.running, .stopped), observation: seen(.running),
            steps: [.stop(force: false, timeoutSeconds: 30)], state: .stopped),
        Row(
            name: "paused behind Flotilla's back: recorded as paused", instance: instance(.running, .running),
            observation: seen(.paused), steps: [], state: .paused),
        Row(
            name: "paused but desired running: resume", instance: instance(.paused, .running), observation: seen(.paused),
            steps: [.resume], state: .running),
        Row(
            name: "running, desired paused (the user's pause): pause", instance: instance(.running, .paused),
            observation: seen(.running), steps: [.pause], state: .paused),
        Row(
            name: "unpaused behind Flotilla's back while desired paused: recorded, then paused again",
            instance: instance(.paused, .paused), observation: seen(.running), steps: [], state: .running),
        Row(
            name: "rm -f of a running instance: recorded as removed, restart planned",
            instance: instance(.running, .running), observation: .absent, steps: [], state: .error,
            check: {
                $0.report?.description?.hasPrefix("removed from the docker backend outside Flotilla; restarting in 1 s") == true
            }),
        Row(
            name: "absent after its create failed: the failure is the reason, not a removal; restart planned",
            instance: instance(.error, .running, description: "cannot copy snapshot S1 from host h1: connection reset"),
            observation: .absent, steps: [], state: .error,
            check: {
                $0.report?.description?.hasPrefix("cannot copy snapshot S1 from host h1: connection reset; restarting in 1 s") == true
            }),
        // Restart policies.
        Row(
            name: "the planned restart is due: start",
            instance: instance(.stopped, .running, restarts: RestartStatus(attempts: 1, nextAttemptAt: now)),
            observation: seen(.stopped, code: 137), steps: [.start], state: .running,
            check: { $0.report?.launched == true && $0.report?.restarts == RestartStatus(attempts: 1) }),
        Row(
            name: "the planned restart of a removed instance is due: create and start",
            instance: instance(.error, .running, restarts: RestartStatus(attempts: 1, nextAttemptAt: now - 1)),
            observation: .absent, steps: [.create, .start], state: .running),
        Row(
            name: "the planned restart is not due: wait for it, record nothing",
            instance: instance(.stopped, .running, restarts: RestartStatus(attempts: 2, nextAttemptAt: now + 3)),
            observation: seen(.stopped, code: 137), steps: [], state: nil, check: { $0.wakeAt == now + 3 }),
        Row(
            name: "a crash loop backs off: the third attempt waits 4 s",
            instance: instance(.error, .running, policy: .onFailure(maxAttempts: 5), restarts: RestartStatus(attempts: 2), launchedAgo: 1),
            observation: seen(.error, code: 1, "exited with code 1"), steps: [], state: .error,
            check: { $0.report?.restarts == RestartStatus(attempts: 3, nextAttemptAt: now + 4) && $0.wakeAt == now + 4 }),
        Row(
            name: "on-failure gives up after its maximum: desired becomes stopped",
            instance: instance(.error, .running, policy: .onFailure(maxAttempts: 3), restarts: RestartStatus(attempts: 3), launchedAgo: 1),
            observation: seen(.error, code: 1, "exited with code 1"), steps: [], state: .error,
            check: {
                $0.report?.desired == .stopped && $0.report?.restarts?.gaveUp == true
                    && $0.report?.description
                        == "exited with code 1; not restarted: gave up after 3 restarts (restart policy on-failure:3)"
            }),
        Row(
            name: "on-failure leaves a clean exit alone", instance: instance(.running, .running, policy: .onFailure()),
            observation: seen(.stopped, code: 0, "exited with code 0"), steps: [], state: .stopped,
            check: { $0.report?.desired == .stopped && $0.report?.restarts?.gaveUp == true }),
        Row(
            name: "on-failure restarts a kill (137)", instance: instance(.running, .running, policy: .onFailure()),
            observation: seen(.stopped, code: 137), steps: [], state: .stopped,
            check: { $0.report?.restarts?.attempts == 1 }),
        Row(
            name: "never: recorded, not restarted, desired becomes stopped", instance: instance(.running, .running, policy: .never),
            observation: seen(.stopped, code: 137, "exited with code 137"), steps: [], state: .stopped,
            check: {
                $0.report?.desired == .stopped && $0.report?.description == "exited with code 137; not restarted: restart policy never"
            }),
        Row(
            name: "after a stable run the count starts again",
            instance: instance(
                .running, .running, policy: .onFailure(maxAttempts: 3), restarts: RestartStatus(attempts: 3), launchedAgo: 60),
            observation: seen(.error, code: 1), steps: [], state: .error,
            check: { $0.report?.restarts?.attempts == 1 && $0.report?.desired == nil }),
        Row(
            name: "a stable run clears the restart status",
            instance: instance(.running, .running, restarts: RestartStatus(attempts: 2), launchedAgo: 11),
            observation: seen(.running), steps: [], state: .running, check: { $0.report?.restarts == nil }),
        Row(
            name: "a run not yet stable: look again when it is",
            instance: instance(.running, .running, restarts: RestartStatus(attempts: 2), launchedAgo: 4),
            observation: seen(.running), steps: [], state: nil, check: { $0.wakeAt == now + 6 }),
        Row(
            name: "gave up: nothing more", instance: instance(.error, .stopped, restarts: RestartStatus(attempts: 3, gaveUp: true)),
            observation: seen(.error, code: 1), steps: [], state: nil),
        // The backend is down.
        Row(
            name: "backend down: a running instance is recorded as unknown, restarts untouched",
            instance: instance(.running, .running, restarts: RestartStatus(attempts: 1)), observation: .unavailable("daemon down"),
            steps: [], state: .error,
            check: {
                $0.report?.restarts == RestartStatus(attempts: 1)
                    && $0.report?.description
                        == "the docker backend is unavailable (daemon down): the instance's state is unknown"
            }),
        Row(
            name: "backend down, already recorded: nothing more",
            instance: instance(
                .error, .running, description: "the docker backend is unavailable (daemon down): the instance's state is unknown"),
            observation: .unavailable("daemon down"), steps: [], state: nil),
        Row(
            name: "backend back, container stopped by the outage: the policy restarts it",
            instance: instance(.error, .running), observation: seen(.stopped, code: 137), steps: [], state: .stopped,
            check: { $0.report?.restarts?.nextAttemptAt == now + 1 }),
        Row(
            name: "backend back, container survived: running again", instance: instance(.error, .running),
            observation: seen(.running), steps: [], state: .running),
        Row(
            name: "a failed stop stays in error until the user acts (no retry every round, no flapping)",
            instance: instance(.error, .stopped, description: "disk on fire"), observation: seen(.running), steps: [], state: nil),
        Row(
            name: "unknown after an outage, desired stopped, the backend answers again: what it holds is recorded",
            instance: instance(
                .error, .stopped, description: "the docker backend is unavailable (daemon down): the instance's state is unknown"),
            observation: seen(.stopped, code: 143), steps: [], state: .stopped),
        // Settled and converged.
        Row(name: "running as asked: nothing", instance: instance(.running, .running), observation: seen(.running), steps: [], state: nil),
        Row(name: "stopped as asked: nothing", instance: instance(.stopped, .stopped), observation: seen(.stopped), steps: [], state: nil),
        Row(
            name: "stopped as asked and absent (created again on start): nothing", instance: instance(.stopped, .stopped),
            observation: .absent, steps: [], state: nil),
        Row(name: "pending: not this host's yet", instance: instance(.pending, .running), observation: .absent, steps: [], state: nil),
        // After the fence lifted (docs/decisions/0016-self-fencing.md): a stop the host imposed counts as a failure.
        Row(
            name: "fenced (clean exit) under on-failure: restarted, the fence named",
            instance: instance(.running, .running, policy: .onFailure()),
            observation: seen(.stopped, code: 0, "exited with code 0").fenced(reason: "stopped by the fence"), steps: [],
            state: .error,
            check: { $0.wakeAt != nil && $0.report?.description?.hasPrefix("stopped by the fence; restarting") == true }),
        Row(
            name: "fenced under never: left stopped, desired stopped, the fence named",
            instance: instance(.running, .running, policy: .never),
            observation: seen(.stopped, code: 137).fenced(reason: "stopped by the fence"), steps: [], state: .error,
            check: { $0.report?.desired == .stopped && $0.report?.description?.contains("stopped by the fence") == true }),
        Row(
            name: "the same clean exit without the fence under on-failure: not restarted",
            instance: instance(.running, .running, policy: .onFailure()), observation: seen(.stopped, code: 0), steps: [],
            state: .stopped, check: { $0.report?.desired == .stopped }),
        Row(
            name: "fenced but running again (started meanwhile): shown as it is",
            instance: instance(.running, .running), observation: seen(.running).fenced(reason: "stopped by the fence"), steps: [],
            state: nil),
    ]

    @Test(arguments: rows)
    func plan(_ row: Row) {
        let plan = Self.reconciler.plan(row.instance, row.observation, now: Self.now)
        #expect(plan.steps == row.steps)
        #expect(plan.report?.state == row.state)
        #expect(row.check(plan), "\(plan)")
    }

    static let observations: [Observation] = [
        .absent, .unavailable("down"), seen(.created), seen(.running), seen(.paused), seen(.stopped, code: 0),
        seen(.stopped, code: 137), seen(.error, code: 1),
    ]

    /// Every (state, desired, observation, policy) combination keeps the rules every plan keeps.
    @Test(arguments: InstanceState.allCases)
    func everyCombinationKeepsTheRules(_ state: InstanceState) {
        for desired in DesiredState.allCases {
            for observation in Self.observations {
                for policy in [RestartPolicy.always, .never, .onFailure(maxAttempts: 2)] {
                    let instance = Self.instance(state, desired, policy: policy)
                    let plan = Self.reconciler.plan(instance, observation, now: Self.now)
                    let label = "\(state) desired \(desired) seeing \(observation) under \(policy.description)"
                    // Only a legal observation is reported.
                    if let report = plan.report {
                        #expect(InstanceTransitions.isLegal(report.state, for: instance), "\(label): \(report)")
                    }
                    // Nothing happens to what is not live or not placed, and nothing is asked of a backend that is down.
                    if state == .pending || state == .deleted { #expect(plan == .idle, "\(label)") }
                    if case .unavailable = observation { #expect(plan.steps.isEmpty, "\(label)") }
                    // A deletion always ends deleted, and never starts anything.
                    if state == .deleting, case .unavailable = observation {
                    } else if state == .deleting {
                        #expect(plan.report?.state == .deleted, "\(label)")
                        #expect(!plan.steps.contains(.start) && !plan.steps.contains(.create), "\(label)")
                    }
                    // Create is only ever asked for what the backend does not hold.
                    if plan.steps.contains(.create) { #expect(observation == .absent, "\(label)") }
                    // A planned restart always says when.
                    if let next = plan.report?.restarts?.nextAttemptAt { #expect(plan.wakeAt == next, "\(label)") }
                    // The never policy never starts an instance that stopped on its own.
                    if policy == .never, state.isSettled, state != .paused, observation != Self.seen(.running) {
                        #expect(!plan.steps.contains(.start), "\(label)")
                    }
                }
            }
        }
    }

    @Test func failuresAreRecordedAsErrorsAndAnOutageIsNotTheInstancesFault() {
        let i = Self.instance(.starting, .running, restarts: RestartStatus(attempts: 2, nextAttemptAt: Self.now))
        #expect(
            Self.reconciler.failure(i, .failed("no such image"), now: Self.now)
                == Report(state: .error, description: "no such image", restarts: RestartStatus(attempts: 2)))
        #expect(
            Self.reconciler.failure(i, .unavailable("daemon down"), now: Self.now)
                == Report(
                    state: .error, description: "the docker backend is unavailable (daemon down): the instance's state is unknown",
                    restarts: RestartStatus(attempts: 2)))
    }
}
