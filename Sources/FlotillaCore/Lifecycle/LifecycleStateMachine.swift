/// The lifecycle rules (docs/api/surface-a-compute.md, the lifecycle), as pure functions.
///
/// Two kinds of change exist:
/// - a user **action** (`request`), checked against the current state; accepted, it sets the desired state
///   and the transitional state the instance shows until the host reports back;
/// - a host **observation** (`observe`), the state the backend really reached; only the edges in
///   ``allowedEdges`` are legal.
public enum LifecycleStateMachine {
    /// The outcome of an accepted action.
    public struct Accepted: Sendable, Equatable {
        /// The state the instance shows right away.
        public var state: InstanceState
        public var desired: DesiredState
        /// The state that completes the action.
        public var target: InstanceState
    }

    /// Checks `action` against `state` under `rules`. Throws `INVALID_STATE` with the current state in the details.
    public static func request(
        _ action: LifecycleAction, from state: InstanceState, rules: LifecycleRules = .standard, instanceId: String = ""
    ) throws(FlotillaError) -> Accepted {
        if rules.allows(action, in: state), let accepted = table(action, state) { return accepted }
        throw FlotillaError.invalidState(
            "Cannot \(action.rawValue) an instance that is \(state.rawValue)", instanceId: instanceId,
            currentState: state, action: action.rawValue)
    }

    /// Whether `action` is accepted in `state` under `rules`.
    public static func accepts(_ action: LifecycleAction, in state: InstanceState, rules: LifecycleRules = .standard) -> Bool {
        rules.allows(action, in: state) && table(action, state) != nil
    }

    private static func table(_ action: LifecycleAction, _ state: InstanceState) -> Accepted? {
        switch (action, state) {
        case (.start, .stopped), (.start, .error):
            return Accepted(state: .starting, desired: .running, target: .running)
        case (.stop, .running), (.stop, .paused), (.stop, .error):
            return Accepted(state: .stopping, desired: .stopped, target: .stopped)
        case (.restart, .running):
            return Accepted(state: .restarting, desired: .running, target: .running)
        case (.pause, .running):
            // No transitional state: the instance shows `running` until the host reports `paused`.
            return Accepted(state: .running, desired: .paused, target: .paused)
        case (.resume, .paused):
            return Accepted(state: .paused, desired: .running, target: .running)
        case (.delete, let s) where s != .deleting && s != .deleted:
            return Accepted(state: .deleting, desired: .deleted, target: .deleted)
        default:
            return nil
        }
    }

    /// Every state change a host may report, beside the change to `error` (legal from any live state).
    public static let allowedEdges: Set<Edge> = [
        Edge(.pending, .creating),
        Edge(.creating, .running), Edge(.creating, .stopped),
        Edge(.starting, .running), Edge(.starting, .stopped),
        Edge(.running, .stopping), Edge(.stopping, .stopped),
        Edge(.running, .stopped),  // exited on its own
        Edge(.running, .paused), Edge(.paused, .running),
        Edge(.paused, .stopped),
        Edge(.running, .restarting), Edge(.restarting, .running),
        Edge(.stopped, .starting),
        Edge(.deleting, .deleted),
    ]

    /// An edge of the observation graph.
    public struct Edge: Hashable, Sendable {
        public var from: InstanceState
        public var to: InstanceState
        public init(_ from: InstanceState, _ to: InstanceState) {
            self.from = from
            self.to = to
        }
    }

    /// Whether a host may report a change from `from` to `to`. Between the settled states (running, paused,
    /// stopped, error) every change is legal: it is what the backend really did, whoever did it (a `docker
    /// start` behind Flotilla's back turns a stopped instance into a running one), and the registry must say so.
    public static func observe(from: InstanceState, to: InstanceState) -> Bool {
        if from == to { return true }
        if from == .deleted { return false }
        if to == .error { return true }
        if to == .deleting { return true }  // any -> deleting
        if from.isSettled && to.isSettled { return true }
        if from == .error { return to == .starting }
        return allowedEdges.contains(Edge(from, to))
    }
}
