import Foundation

/// One change of one key.
public struct WatchEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable { case put, delete }
    public var kind: Kind
    /// For a put: the key after the write. For a delete: the key, an empty value, and `modRevision` set to
    /// the revision of the delete.
    public var kv: KeyValue
    public var revision: Revision { kv.modRevision }

    public init(kind: Kind, kv: KeyValue) {
        self.kind = kind
        self.kv = kv
    }
}

/// The events of one or more revisions, in order. Never empty.
public struct WatchBatch: Sendable, Equatable {
    public var events: [WatchEvent]
    public init(events: [WatchEvent]) { self.events = events }
}
