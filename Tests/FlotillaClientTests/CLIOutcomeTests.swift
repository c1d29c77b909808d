import FlotillaClient
import FlotillaCore
import Testing

/// The one rule of every waiting command (`ActionOutcome`) and its words, without a server.
@Suite("CLI outcomes: the decision and its messages")
struct CLIOutcomeTests {
    static let start = ActionExpectation.instance("start", target: "running", waitSeconds: 60)
    static let stop = ActionExpectation.instance("stop", target: "stopped", waitSeconds: 5)
    static let restart = ActionExpectation.instance("restart", target: "running", waitSeconds: 60)
    static let startNoWait = ActionExpectation.instance("start", target: "running", waitSeconds: nil)
    static let vmCreate = ActionExpectation.vm("create", target: "ACTIVE", waitSeconds: 1)
    static let vmStart = ActionExpectation.vm("start", target: "ACTIVE", waitSeconds: 60)

    static let vmStop = ActionExpectation.vm("stop", target: "SHUTOFF", waitSeconds: 1)
    static let vmStopNoWait = ActionExpectation.vm("stop", target: "SHUTOFF", waitSeconds: nil)

    @Test(
        "the state in the answer decides, not the HTTP status",
        arguments: [
            (start, "running", nil, false, ActionOutcome.reached(state: "running")),
            (start, "error", "qemu exited with status 1", false, .failed(state: "error", reason: "qemu exited with status 1")),
            (start, "starting", nil, false, .timedOut(state: "starting", target: "running", seconds: 60)),
            (stop, "stopping", nil, false, .timedOut(state: "stopping", target: "stopped", seconds: 5)),
            (startNoWait, "starting", nil, false, .accepted(state: "starting")),
            (startNoWait, "running", nil, false, .reached(state: "running")),
            (startNoWait, "error", nil, false, .failed(state: "error", reason: nil)),
            (vmCreate, "BUILDING", nil, false, .timedOut(state: "BUILDING", target: "ACTIVE", seconds: 1)),
            (vmCreate, "ERROR", "the kernel is missing", false, .failed(state: "ERROR", reason: "the kernel is missing")),
            (vmCreate, "ACTIVE", nil, false, .reached(state: "ACTIVE")),
            // Surface C's SHUTOFF also names a VM that is still stopping: the answer's in_progress tells.
            (vmStop, "SHUTOFF", nil, true, .timedOut(state: "SHUTOFF", target: "SHUTOFF", seconds: 1)),
            (vmStop, "SHUTOFF", nil, false, .reached(state: "SHUTOFF")),
            (vmStopNoWait, "SHUTOFF", nil, true, .accepted(state: "SHUTOFF")),
            (vmStop, "ERROR", "qemu crashed", true, .failed(state: "ERROR", reason: "qemu crashed")),
        ] as [(ActionExpectation, String, String?, Bool, ActionOutcome)])
    func decide(expected: ActionExpectation, state: String, description: String?, underWay: Bool, outcome: ActionOutcome) {
        #expect(ActionOutcome.decide(state: state, stateDescription: description, underWay: underWay, expecting: expected) == outcome)
    }

    static func conflict(_ code: String, _ details: [String: JSONValue]) -> FlotillaClientError {
        .api(status: 409, code: code, message: "refused", details: details)
    }

    @Test(
        "only a refusal naming the target as the current state means already there",
        arguments: [
            (start, conflict("INVALID_STATE", ["currentState": "running"]), ActionOutcome?.some(.alreadyThere(state: "running"))),
            (stop, conflict("INVALID_STATE", ["currentState": "stopped"]), .alreadyThere(state: "stopped")),
            // Restart of a stopped instance: the current state is not the target.
            (restart, conflict("INVALID_STATE", ["currentState": "stopped"]), nil),
            // Stop of an instance that is still stopping is not "already stopped".
            (stop, conflict("INVALID_STATE", ["currentState": "stopping"]), nil),
            (start, conflict("NAME_CONFLICT", ["currentState": "running"]), nil),
            (start, conflict("INVALID_STATE", [:]), nil),
            (start, .api(status: 400, code: "INVALID_STATE", message: "m", details: ["currentState": "running"]), nil),
            (start, .api(status: 404, code: "INSTANCE_NOT_FOUND", message: "m", details: nil), nil),
            (start, .unreachable("http://127.0.0.1:1/x", "connection refused"), nil),
            // Surface C's contract makes start of an ACTIVE VM an error.
            (vmStart, conflict("INVALID_VM_STATE", ["current_state": "ACTIVE"]), nil),
        ] as [(ActionExpectation, FlotillaClientError, ActionOutcome?)])
    func refused(expected: ActionExpectation, error: FlotillaClientError, outcome: ActionOutcome?) {
        #expect(ActionOutcome.refused(error, expecting: expected) == outcome)
    }

    @Test(
        "success, already there and no-wait exit 0; error and a wait that ran out exit 1",
        arguments: [
            (ActionOutcome.reached(state: "running"), Int32(0)),
            (.accepted(state: "starting"), 0),
            (.alreadyThere(state: "running"), 0),
            (.failed(state: "error", reason: nil), 1),
            (.timedOut(state: "starting", target: "running", seconds: 1), 1),
        ])
    func exitStatus(outcome: ActionOutcome, status: Int32) {
        #expect(outcome.exitStatus == status)
    }

    @Test func messages() {
        #expect(OutputFormatter.alreadyThere("instance web", state: "running") == "instance web is already running\n")
        let subject = "instance web (0b0e)"
        #expect(
            OutputFormatter.outcomeFailure(
                .failed(state: "error", reason: " the kernel of image /k is missing: /k\n"), subject: subject, action: "create",
                followUp: "flotilla instance get web")
                == ["error: instance web (0b0e): create ended in state error: the kernel of image /k is missing: /k"])
        #expect(
            OutputFormatter.outcomeFailure(.failed(state: "error", reason: ""), subject: subject, action: "start", followUp: "f")
                == ["error: instance web (0b0e): start ended in state error: the server gave no reason"])
        #expect(
            OutputFormatter.outcomeFailure(
                .timedOut(state: "starting", target: "running", seconds: 1), subject: subject, action: "start",
                followUp: "flotilla instance get web")
                == [
                    "error: instance web (0b0e): start did not reach running within 1s; it is starting",
                    "hint: it goes on in the background; follow it with `flotilla instance get web`",
                ])
        #expect(
            OutputFormatter.outcomeFailure(
                .timedOut(state: "SHUTOFF", target: "SHUTOFF", seconds: 2), subject: "VM web (0b0e)", action: "stop",
                followUp: "flotilla vm get web")
                == [
                    "error: VM web (0b0e): stop did not finish within 2s; it is SHUTOFF, still under way",
                    "hint: it goes on in the background; follow it with `flotilla vm get web`",
                ])
        for success in [ActionOutcome.reached(state: "running"), .accepted(state: "starting"), .alreadyThere(state: "running")] {
            #expect(OutputFormatter.outcomeFailure(success, subject: subject, action: "start", followUp: "f").isEmpty)
        }
    }
}
