import FlotillaCore
import Foundation
import GRDB

/// Applies the writes of one store transaction inside one SQLite transaction.
///
/// All writes share the revision `base + 1`; the revision is only committed to `meta` (by ``finish()``)
/// when at least one key changed, as in etcd, where a transaction without changes creates no revision.
struct SQLiteRevisionWriter {
    let db: Database
    /// The store revision before this transaction.
    let base: Revision
    /// Wall clock in ms, to check leases.
    let nowMs: Int64
    private var seq: Int64 = 0

    /// The revision the writes of this transaction get.
    var revision: Revision { base + 1 }
    /// Whether anything changed.
    var wrote: Bool { seq > 0 }

    init(db: Database, nowMs: Int64) throws {
        self.db = db
        self.nowMs = nowMs
        self.base = try SQLiteQueries.currentRevision(db)
    }

    /// Puts one key; throws ``StoreError/leaseNotFound(_:)`` for an unknown or expired lease.
    mutating func put(_ key: String, value: Data, lease: LeaseID?) throws {
        if let lease, try !SQLiteQueries.leaseIsLive(db, lease, nowMs: nowMs) {
            throw StoreError.leaseNotFound(lease)
        }
        let existing = try SQLiteQueries.get(db, key)
        let kv = KeyValue(
            key: key, value: value, createRevision: existing?.createRevision ?? revision, modRevision: revision,
            version: (existing?.version ?? 0) + 1, lease: lease)
        try db.cachedStatement(
            sql: """
                INSERT OR REPLACE INTO kv (key, value, create_revision, mod_revision, version, lease)
                VALUES (?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [key, value, kv.createRevision, kv.modRevision, kv.version, lease?.rawValue])
        try record(SQLiteSchema.putKind, kv)
    }

    /// Deletes one key; returns whether it existed.
    mutating func delete(_ key: String) throws -> Bool {
        try db.cachedStatement(sql: "DELETE FROM kv WHERE key = ?").execute(arguments: [key])
        guard db.changesCount > 0 else { return false }
        try record(SQLiteSchema.deleteKind, Self.tombstone(key, revision: revision))
        return true
    }

    /// Deletes every key that starts with `prefix`; returns how many existed.
    mutating func deletePrefix(_ prefix: String) throws -> Int {
        let keys = try SQLiteQueries.range(db, prefix: prefix).map(\.key)
        for key in keys { _ = try delete(key) }
        return keys.count
    }

    /// Deletes every key attached to `lease`, and the lease itself.
    mutating func revoke(_ lease: LeaseID) throws {
        let keys = try String.fetchAll(
            db.cachedStatement(sql: "SELECT key FROM kv WHERE lease = ? ORDER BY key"), arguments: [lease.rawValue])
        for key in keys { _ = try delete(key) }
        try db.cachedStatement(sql: "DELETE FROM leases WHERE id = ?").execute(arguments: [lease.rawValue])
    }

    /// Commits the new revision to `meta` if anything changed; returns the store revision after the transaction.
    func finish() throws -> Revision {
        guard wrote else { return base }
        try db.cachedStatement(sql: "UPDATE meta SET revision = ? WHERE id = 1").execute(arguments: [revision])
        return revision
    }

    private mutating func record(_ kind: Int64, _ kv: KeyValue) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO events (revision, seq, kind, key, value, create_revision, mod_revision, version, lease)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            revision, seq, kind, kv.key, kv.value, kv.createRevision, kv.modRevision, kv.version, kv.lease?.rawValue,
        ])
        seq += 1
    }

    /// What a delete event carries: the key, an empty value and the revision of the delete.
    static func tombstone(_ key: String, revision: Revision) -> KeyValue {
        KeyValue(key: key, value: Data(), createRevision: 0, modRevision: revision, version: 0)
    }
}
