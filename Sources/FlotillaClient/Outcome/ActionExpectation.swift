/// What a command that waits for a lifecycle action expects of the server's answer: the state the action
/// reaches, the state that means it failed, how long the server was asked to wait, and which refusal means
/// that the target already held. ``ActionOutcome/decide(state:stateDescription:expecting:)`` compares an
/// answer with it.
///
/// The states are the wire vocabulary of the surface the command talks to (docs/api/surface-a-compute.md:
/// `running`, `stopped`, ..., `error`; docs/api/surface-c-vms.md: `ACTIVE`, `SHUTOFF`, ..., `ERROR`).
public struct ActionExpectation: Sendable, Equatable {
    /// A refusal that means the target already held: an answer with error `code` whose `details[detailKey]`
    /// is the target state.
    public struct AlreadyThere: Sendable, Equatable {
        public var code: String
        public var detailKey: String

        public init(code: String, detailKey: String) {
            self.code = code
            self.detailKey = detailKey
        }
    }

    /// The action as the user named it: `create`, `start`, `stop`, `pause`, `unpause`, `restart`, `reboot`,
    /// `delete`.
    public var action: String
    /// The state the action reaches.
    public var target: String
    /// The state of an instance the backend failed.
    public var errorState: String
    /// The seconds the server was asked to wait for the target; `nil` when the command did not wait (`--no-wait`).
    public var waitSeconds: Int?
    /// The refusal that means "already there", or `nil` when every refusal is an error.
    public var alreadyThere: AlreadyThere?

    public init(action: String, target: String, errorState: String, waitSeconds: Int?, alreadyThere: AlreadyThere?) {
        self.action = action
        self.target = target
        self.errorState = errorState
        self.waitSeconds = waitSeconds
        self.alreadyThere = alreadyThere
    }

    /// An action of surface A (`/api/v1/compute`). The server refuses an action whose target already holds
    /// (start of a running instance, stop of a stopped one, pause of a paused one, unpause of a running one)
    /// with 409 `INVALID_STATE` and the current state as `details.currentState`: that refusal is success.
    /// (`details.currentState` is the internal state's name, the same word as the wire's for `running`,
    /// `stopped` and `paused`, the only targets such a refusal can name.)
    public static func instance(_ action: String, target: String, waitSeconds: Int?) -> ActionExpectation {
        ActionExpectation(
            action: action, target: target, errorState: "error", waitSeconds: waitSeconds,
            alreadyThere: AlreadyThere(code: "INVALID_STATE", detailKey: "currentState"))
    }

    /// An action of surface C (`/api/v1/vms`). Its contract makes every action refused in the current state
    /// an error (409 `INVALID_VM_STATE`, e.g. start of an `ACTIVE` VM), so nothing counts as already there.
    public static func vm(_ action: String, target: String, waitSeconds: Int?) -> ActionExpectation {
        ActionExpectation(action: action, target: target, errorState: "ERROR", waitSeconds: waitSeconds, alreadyThere: nil)
    }
}
