import FlotillaCore
import Foundation
import GRDB

/// The read queries of the SQLite store, shared by reads and write transactions.
enum SQLiteQueries {
    static func currentRevision(_ db: Database) throws -> Revision {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT revision FROM meta WHERE id = 1")) ?? 1
    }

    /// The revision up to which (inclusive) history has been compacted away; 0 when never compacted.
    static func compactRevision(_ db: Database) throws -> Revision {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT compact_revision FROM meta WHERE id = 1")) ?? 0
    }

    static func get(_ db: Database, _ key: String) throws -> KeyValue? {
        try Row.fetchOne(
            db.cachedStatement(
                sql: "SELECT key, value, create_revision, mod_revision, version, lease FROM kv WHERE key = ?"),
            arguments: [key]
        ).map(keyValue)
    }

    static func range(_ db: Database, prefix: String) throws -> [KeyValue] {
        let columns = "SELECT key, value, create_revision, mod_revision, version, lease FROM kv"
        if let upper = prefix.prefixUpperBound {
            return try Row.fetchAll(
                db.cachedStatement(sql: "\(columns) WHERE key >= ? AND key < ? ORDER BY key"),
                arguments: [prefix, upper]
            ).map(keyValue)
        }
        return try Row.fetchAll(
            db.cachedStatement(sql: "\(columns) WHERE key >= ? ORDER BY key"), arguments: [prefix]
        ).map(keyValue)
    }

    static func leaseIsLive(_ db: Database, _ lease: LeaseID, nowMs: Int64) throws -> Bool {
        let expiry = try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT expires_at_ms FROM leases WHERE id = ?"), arguments: [lease.rawValue])
        guard let expiry else { return false }
        return expiry > nowMs
    }

    /// The events of revisions `after + 1 ... through` under `prefix`, in revision order.
    static func events(_ db: Database, prefix: String, after: Revision, through: Revision) throws -> [WatchEvent] {
        let columns =
            "SELECT kind, key, value, create_revision, mod_revision, version, lease FROM events WHERE revision > ? AND revision <= ?"
        let rows: [Row]
        if let upper = prefix.prefixUpperBound {
            rows = try Row.fetchAll(
                db.cachedStatement(sql: "\(columns) AND key >= ? AND key < ? ORDER BY revision, seq"),
                arguments: [after, through, prefix, upper])
        } else {
            rows = try Row.fetchAll(
                db.cachedStatement(sql: "\(columns) AND key >= ? ORDER BY revision, seq"),
                arguments: [after, through, prefix])
        }
        return rows.map { row in
            let kind: WatchEvent.Kind = (row["kind"] as Int64) == SQLiteSchema.deleteKind ? .delete : .put
            return WatchEvent(kind: kind, kv: keyValue(row))
        }
    }

    static func keyValue(_ row: Row) -> KeyValue {
        let lease: Int64? = row["lease"]
        return KeyValue(
            key: row["key"], value: row["value"] ?? Data(), createRevision: row["create_revision"],
            modRevision: row["mod_revision"], version: row["version"], lease: lease.map(LeaseID.init))
    }
}
