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

/// An `Idempotency-Key`, as digests computed by the surface.
public struct IdempotencyToken: Sendable, Equatable {
    /// Digest of the key (used as the store key).
    public var keyDigest: String
    /// Digest of the request body: the same key with another body is refused.
    public var requestDigest: String
    public init(keyDigest: String, requestDigest: String) {
        self.keyDigest = keyDigest
        self.requestDigest = requestDigest
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

/// The result of a write: the instance as written and the store revision of the write.
public struct Written: Sendable, Equatable {
    public var instance: Instance
    public var revision: Revision
    /// True when an idempotent create returned an earlier result.
    public var replayed: Bool = false
}
