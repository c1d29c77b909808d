/// Which actions a surface accepts from which states. Every surface uses the one action table of
/// ``LifecycleStateMachine``; a stricter surface narrows it here instead of keeping a table of its own.
public enum LifecycleRules: Sendable, Equatable, CaseIterable {
    /// The table as it is (surfaces A, B, D, E and the CLI).
    case standard
    /// Surface C's VM API (docs/api/surface-c-vms.md): start only from `SHUTOFF` (stopped), stop and reboot only
    /// from `ACTIVE` (running); pause, resume and delete as the table says.
    case vmAPI

    /// Whether these rules let `action` run in `state` (the table must accept it too).
    public func allows(_ action: LifecycleAction, in state: InstanceState) -> Bool {
        switch self {
        case .standard:
            return true
        case .vmAPI:
            switch action {
            case .start: return state == .stopped
            case .stop, .restart: return state == .running
            case .pause, .resume, .delete: return true
            }
        }
    }
}
