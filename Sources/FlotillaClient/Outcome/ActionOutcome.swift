import FlotillaCore

/// What came of a lifecycle action, decided from the server's answer and an ``ActionExpectation``; the one
/// rule for every command that waits (the `flotilla instance` and `flotilla vm` commands).
///
/// The HTTP status alone does not tell: a create answers 201 even when its wait ran out, and an action that
/// ends in `error` answers 200. The state in the answer does.
public enum ActionOutcome: Sendable, Equatable {
    /// The instance is in the target state.
    case reached(state: String)
    /// The server took the action and the command did not wait for it.
    case accepted(state: String)
    /// The server refused the action because its target already held.
    case alreadyThere(state: String)
    /// The instance is in the error state; `reason` is its state description.
    case failed(state: String, reason: String?)
    /// The wait ran out with the instance in `state`, short of `target` (or, on surface C, in a state whose name
    /// covers the target too, the action still under way).
    case timedOut(state: String, target: String, seconds: Int)

    /// The outcome of an answer that carries the instance in `state`.
    ///
    /// - Parameter underWay: the server says the action is still under way, whatever the state reads. Surface C
    ///   needs it: its `SHUTOFF` covers stopping and stopped, `DELETED` deleting and deleted, so only the answer's
    ///   `status: "in_progress"` tells a stop that ran out of time from one that finished.
    public static func decide(
        state: String, stateDescription: String?, underWay: Bool = false, expecting expected: ActionExpectation
    ) -> ActionOutcome {
        if state == expected.errorState { return .failed(state: state, reason: stateDescription) }
        if state == expected.target && !underWay { return .reached(state: state) }
        guard let seconds = expected.waitSeconds else { return .accepted(state: state) }
        return .timedOut(state: state, target: expected.target, seconds: seconds)
    }

    /// `.alreadyThere` when `error` is the refusal that means the target already held, else `nil` (the error
    /// stands).
    public static func refused(_ error: FlotillaClientError, expecting expected: ActionExpectation) -> ActionOutcome? {
        guard let rule = expected.alreadyThere, case .api(409, rule.code, _, let details?) = error,
            case .string(let current)? = details[rule.detailKey], current == expected.target
        else { return nil }
        return .alreadyThere(state: current)
    }

    /// The exit status of a command that ends this way: 0 when the target holds or the action was merely
    /// accepted, 1 when the instance failed or the wait ran out.
    public var exitStatus: Int32 {
        switch self {
        case .reached, .accepted, .alreadyThere: return 0
        case .failed, .timedOut: return 1
        }
    }
}
