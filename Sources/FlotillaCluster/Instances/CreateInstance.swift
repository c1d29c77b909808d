import FlotillaCore
import Foundation

/// A request to create an instance, already mapped from a surface's wire type.
public struct CreateInstance: Sendable, Equatable {
    public var name: String
    public var kind: InstanceKind?
    public var backend: BackendKind
    public var spec: InstanceSpec
    /// The state to drive the new instance to (`running` unless the surface creates stopped instances).
    public var desired: DesiredState
    /// The snapshot the instance is made from (``Instance/restoredFrom``), nil for a plain create.
    public var restoredFrom: String?

    public init(name: String, kind: InstanceKind? = nil, backend: BackendKind, spec: InstanceSpec, desired: DesiredState = .running) {
        self.name = name
        self.kind = kind
        self.backend = backend
        self.spec = spec
        self.desired = desired
    }
}

/// The stored record of an idempotent create.
struct IdempotencyRecord: Codable, Sendable {
    var requestDigest: String
    var instanceId: String
    /// When the key was first used; the leader forgets keys older than a day (nil in records of older
    /// versions, which count as old).
    var createdAt: Date?

    /// How long an `Idempotency-Key` is remembered.
    static let retention: TimeInterval = 24 * 3600
}
