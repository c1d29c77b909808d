/// The kind of workload an instance is.
public enum InstanceKind: String, Sendable, Codable, CaseIterable, Equatable {
    case vm
    case container
}

/// A compute backend. `sim` is the built-in simulated backend: always shown as `sim`, never as a real one.
public enum BackendKind: String, Sendable, Codable, CaseIterable, Comparable {
    case kvm
    case docker
    case sim

    /// The kinds this backend can run.
    public var supportedKinds: [InstanceKind] {
        switch self {
        case .kvm: return [.vm]
        case .docker: return [.container]
        case .sim: return [.vm, .container]
        }
    }

    /// The kind used when a request names only the backend.
    public var defaultKind: InstanceKind {
        switch self {
        case .kvm: return .vm
        case .docker, .sim: return .container
        }
    }

    public static func < (a: BackendKind, b: BackendKind) -> Bool { a.rawValue < b.rawValue }
}
