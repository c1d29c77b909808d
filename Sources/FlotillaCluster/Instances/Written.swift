import FlotillaCore

/// The result of a write: the instance as written and the store revision of the write.
public struct Written: Sendable, Equatable {
    public var instance: Instance
    public var revision: Revision
    /// True when an idempotent create returned an earlier result.
    public var replayed: Bool = false
}
