import FlotillaCore
import Foundation
import Testing

/// An exit or error seen while its backend is down, or just after it came back, names the outage
/// (``OutageAttribution``); one seen while the backend is healthy keeps its reason as the backend gave it.
@Suite struct OutageAttributionTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let rule = OutageAttribution(window: 10)
    static let exitText = "exited with code 128: failed to update store for object type *libnetwork.endpoint"

    struct RuleRow: Sendable, CustomTestStringConvertible {
        var name: String
        var availability: BackendAvailability
        var backend: BackendKind = .docker
        var reason: String = exitText
        var expected: String
        var testDescription: String { name }
    }

    static let ruleRows: [RuleRow] = [
        RuleRow(name: "healthy: unchanged", availability: .available, expected: exitText),
        RuleRow(name: "down: prefixed", availability: .unavailable("daemon down"), expected: "docker unavailable: \(exitText)"),
        RuleRow(
            name: "came back 3 s ago: prefixed", availability: .recovered(at: now - 3),
            expected: "docker unavailable: \(exitText)"),
        RuleRow(
            name: "came back exactly one window ago: prefixed", availability: .recovered(at: now - 10),
            expected: "docker unavailable: \(exitText)"),
        RuleRow(name: "came back 11 s ago: unchanged", availability: .recovered(at: now - 11), expected: exitText),
        RuleRow(
            name: "came back 'later' (the clock stepped back): prefixed", availability: .recovered(at: now + 2),
            expected: "docker unavailable: \(exitText)"),
        RuleRow(
            name: "another backend names itself", availability: .unavailable("qemu gone"), backend: .kvm,
            expected: "kvm unavailable: \(exitText)"),
        RuleRow(
            name: "already prefixed: not twice", availability: .unavailable("daemon down"),
            reason: "docker unavailable: \(exitText)", expected: "docker unavailable: \(exitText)"),
    ]

    @Test(arguments: ruleRows)
    func rule(_ row: RuleRow) {
        #expect(Self.rule.reason(row.reason, on: row.backend, row.availability, now: Self.now) == row.expected)
        #expect(Self.rule.covers(row.availability, now: Self.now) == row.expected.contains(" unavailable: "))
    }

    // MARK: Through the reconciler

    static let reconciler = Reconciler(backoff: RestartBackoff(initial: 1, maximum: 60, resetAfter: 10), outage: rule)

    static func instance(_ state: InstanceState, _ desired: DesiredState, policy: RestartPolicy = .always) -> Instance {
        var i = Instance(
            id: "i1", name: "web", kind: .container, backend: .docker,
            spec: InstanceSpec(config: InstanceConfig(image: "busybox"), restartPolicy: policy), createdAt: now - 1000)
        i.state = state
        i.desired = desired
        i.workerId = "w1"
        i.launchedAt = now - 100
        i.appliedGeneration = 1
        return i
    }

    static func seen(_ s: ObservedInstance.State, code: Int32, _ d: String) -> Observation {
        .present(ObservedInstance(id: "i1", state: s, description: d, exitCode: code))
    }

    struct PlanRow: Sendable, CustomTestStringConvertible {
        var name: String
        var instance: Instance
        var observation: Observation
        var availability: BackendAvailability
        var state: InstanceState?
        var description: String?
        var testDescription: String { name }
    }

    static let planRows: [PlanRow] = [
        PlanRow(
            name: "an exit while healthy keeps its reason", instance: instance(.running, .running),
            observation: seen(.error, code: 128, exitText), availability: .available, state: .error,
            description: "\(exitText); restarting in 1 s (attempt 1, restart policy always)"),
        PlanRow(
            name: "an exit seen while the daemon is going away names the outage", instance: instance(.running, .running),
            observation: seen(.error, code: 128, exitText), availability: .unavailable("no docker daemon socket"), state: .error,
            description: "docker unavailable: \(exitText); restarting in 1 s (attempt 1, restart policy always)"),
        PlanRow(
            name: "what the outage stopped, found when the daemon is back, names the outage",
            instance: instance(.error, .running), observation: seen(.stopped, code: 0, "exited with code 0"),
            availability: .recovered(at: now - 2), state: .stopped,
            description: "docker unavailable: exited with code 0; restarting in 1 s (attempt 1, restart policy always)"),
        PlanRow(
            name: "an exit long after the daemon came back keeps its reason", instance: instance(.running, .running),
            observation: seen(.stopped, code: 137, "exited with code 137"), availability: .recovered(at: now - 60),
            state: .stopped, description: "exited with code 137; restarting in 1 s (attempt 1, restart policy always)"),
        PlanRow(
            name: "a container removed during the outage names it", instance: instance(.error, .running),
            observation: .absent, availability: .recovered(at: now - 1), state: .error,
            description: "docker unavailable: removed from the docker backend outside Flotilla; "
                + "restarting in 1 s (attempt 1, restart policy always)"),
        PlanRow(
            name: "never: not restarted, the outage named", instance: instance(.running, .running, policy: .never),
            observation: seen(.stopped, code: 143, "exited with code 143"), availability: .unavailable("daemon down"),
            state: .stopped, description: "docker unavailable: exited with code 143; not restarted: restart policy never"),
        PlanRow(
            name: "an error behind Flotilla's back of an instance not meant to run, just after the outage",
            instance: instance(.stopped, .stopped), observation: seen(.error, code: 1, "dead (exit code 1)"),
            availability: .recovered(at: now - 1), state: .error, description: "docker unavailable: dead (exit code 1)"),
        PlanRow(
            name: "a stop behind Flotilla's back of an instance not meant to run is no error: unchanged",
            instance: instance(.running, .stopped), observation: seen(.stopped, code: 0, "exited with code 0"),
            availability: .recovered(at: now - 1), state: .stopped, description: "exited with code 0"),
        PlanRow(
            name: "running again after the outage: nothing to name", instance: instance(.error, .running),
            observation: .present(ObservedInstance(id: "i1", state: .running)), availability: .recovered(at: now - 1),
            state: .running, description: nil),
    ]

    @Test(arguments: planRows)
    func plan(_ row: PlanRow) {
        let plan = Self.reconciler.plan(row.instance, row.observation, now: Self.now, backend: row.availability)
        #expect(plan.report?.state == row.state)
        #expect(plan.report?.description == row.description)
    }

    @Test func aFailedStepNamesTheOutageOnlyDuringOrJustAfterIt() {
        let i = Self.instance(.starting, .running)
        let text = "docker could not start i1: failed to update store"
        let cases: [(BackendAvailability, String)] = [
            (.available, text),
            (.unavailable("daemon down"), "docker unavailable: \(text)"),
            (.recovered(at: Self.now - 5), "docker unavailable: \(text)"),
            (.recovered(at: Self.now - 30), text),
        ]
        for (availability, expected) in cases {
            let report = Self.reconciler.failure(i, .failed(text), now: Self.now, backend: availability)
            #expect(report.state == .error && report.description == expected, "\(availability)")
        }
        // The daemon known to be unreachable keeps its own wording: the instance's state is unknown.
        let unknown = Self.reconciler.failure(i, .unavailable("daemon down"), now: Self.now, backend: .unavailable("daemon down"))
        #expect(unknown.description == "the docker backend is unavailable (daemon down): the instance's state is unknown")
    }
}
