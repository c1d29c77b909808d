public import Foundation

/// A lease handle, as etcd gives it.
public struct LeaseID: Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: Int64
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
    public var description: String { String(rawValue) }
}

/// One stored key with its revisions.
public struct KeyValue: Sendable, Equatable {
    public var key: String
    public var value: Data
    /// Revision of the write that created this key (since it last did not exist).
    public var createRevision: Revision
    /// Revision of the last write to this key.
    public var modRevision: Revision
    /// Number of writes since creation (1 after create).
    public var version: Int64
    public var lease: LeaseID?

    public init(
        key: String, value: Data, createRevision: Revision, modRevision: Revision, version: Int64,
        lease: LeaseID? = nil
    ) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
        self.version = version
        self.lease = lease
    }
}

/// The answer to a range read.
public struct RangeResult: Sendable, Equatable {
    public var kvs: [KeyValue]
    /// The store revision this read reflects.
    public var revision: Revision
    public init(kvs: [KeyValue], revision: Revision) {
        self.kvs = kvs
        self.revision = revision
    }
}

/// The answer to a delete.
public struct DeleteResult: Sendable, Equatable {
    public var revision: Revision
    public var deleted: Bool
    public init(revision: Revision, deleted: Bool) {
        self.revision = revision
        self.deleted = deleted
    }
}

/// Store health and position.
public struct StoreStatus: Sendable, Equatable {
    public var kind: String
    public var revision: Revision
    /// Oldest revision a watch may still start from.
    public var oldestRevision: Revision
    public var healthy: Bool
    /// Implementation-specific facts (etcd: members, leader, raft term).
    public var details: [String: String]
    public init(kind: String, revision: Revision, oldestRevision: Revision, healthy: Bool, details: [String: String] = [:]) {
        self.kind = kind
        self.revision = revision
        self.oldestRevision = oldestRevision
        self.healthy = healthy
        self.details = details
    }
}
