/// The internal lifecycle states (docs/api/surface-a-compute.md, the lifecycle). Every surface maps these onto its own
/// vocabulary.
public enum InstanceState: String, Sendable, Codable, CaseIterable, Equatable {
    case pending, creating, starting, running, stopping, stopped, paused, restarting, error, deleting, deleted

    /// A state the host is moving away from on its own.
    public var isTransitional: Bool {
        switch self {
        case .pending, .creating, .starting, .stopping, .restarting, .deleting: return true
        case .running, .stopped, .paused, .error, .deleted: return false
        }
    }

    /// A state a live instance rests in until something happens: running, paused, stopped or error.
    public var isSettled: Bool {
        switch self {
        case .running, .paused, .stopped, .error: return true
        case .pending, .creating, .starting, .stopping, .restarting, .deleting, .deleted: return false
        }
    }
}

/// The state the API asked for. The agent on the owning host drives the backend towards it.
public enum DesiredState: String, Sendable, Codable, CaseIterable, Equatable {
    case running, stopped, paused, deleted
}

/// A user action on an instance.
public enum LifecycleAction: String, Sendable, Codable, CaseIterable, Equatable {
    case start, stop, restart, pause, resume, delete
}
