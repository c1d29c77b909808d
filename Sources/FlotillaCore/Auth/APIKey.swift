import Foundation

/// What a key may do (docs/api/surface-a-compute.md, shared rules).
public enum Role: String, Sendable, Codable, CaseIterable, Equatable, Comparable {
    /// Everything, including key management.
    case admin
    /// Instances and drain.
    case `operator`
    /// GET only.
    case reader

    private var rank: Int {
        switch self {
        case .reader: return 0
        case .operator: return 1
        case .admin: return 2
        }
    }

    public static func < (a: Role, b: Role) -> Bool { a.rank < b.rank }

    /// Whether this role grants `permission`.
    public func grants(_ permission: Permission) -> Bool { self >= permission.minimumRole }
}

/// A kind of request, by what it touches.
public enum Permission: String, Sendable, CaseIterable {
    case read
    case operateInstances
    case operateWorkers
    case manageKeys
    case manageCatalog

    public var minimumRole: Role {
        switch self {
        case .read: return .reader
        case .operateInstances, .operateWorkers: return .operator
        case .manageKeys, .manageCatalog: return .admin
        }
    }
}
