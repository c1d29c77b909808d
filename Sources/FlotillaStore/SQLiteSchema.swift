import GRDB

/// The tables of the SQLite store and their migrations.
///
/// - `kv`: the live keys with their etcd revisions and lease.
/// - `events`: the history, one row per changed key per revision, what `watch` replays.
/// - `leases`: granted leases with their TTL and absolute expiry (wall clock, ms).
/// - `meta`: one row: the current revision, the compact revision (every revision up to and including it
///   has been removed from `events`) and the last lease id handed out.
enum SQLiteSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE kv (
                        key TEXT PRIMARY KEY NOT NULL,
                        value BLOB,
                        create_revision INTEGER NOT NULL,
                        mod_revision INTEGER NOT NULL,
                        version INTEGER NOT NULL,
                        lease INTEGER
                    ) WITHOUT ROWID;
                    CREATE INDEX kv_lease ON kv(lease) WHERE lease IS NOT NULL;
                    CREATE TABLE events (
                        revision INTEGER NOT NULL,
                        seq INTEGER NOT NULL,
                        kind INTEGER NOT NULL,
                        key TEXT NOT NULL,
                        value BLOB,
                        create_revision INTEGER NOT NULL,
                        mod_revision INTEGER NOT NULL,
                        version INTEGER NOT NULL,
                        lease INTEGER,
                        PRIMARY KEY (revision, seq)
                    ) WITHOUT ROWID;
                    CREATE TABLE leases (
                        id INTEGER PRIMARY KEY NOT NULL,
                        ttl_ms INTEGER NOT NULL,
                        expires_at_ms INTEGER NOT NULL
                    );
                    CREATE INDEX leases_expiry ON leases(expires_at_ms);
                    CREATE TABLE meta (
                        id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
                        revision INTEGER NOT NULL,
                        compact_revision INTEGER NOT NULL,
                        last_lease_id INTEGER NOT NULL
                    );
                    INSERT INTO meta (id, revision, compact_revision, last_lease_id) VALUES (1, 1, 0, 0);
                    """)
        }
        return migrator
    }

    /// The event kinds stored in `events.kind`.
    static let putKind: Int64 = 0
    static let deleteKind: Int64 = 1
}
