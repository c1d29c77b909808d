import FlotillaCore
import Foundation
import GRDB
import Logging

/// The embedded ``ClusterStore``: one SQLite file in WAL mode, with etcd v3's semantics.
///
/// - Revisions: an empty store is at revision 1; every write transaction that changes at least one key
///   creates exactly one new revision, shared by all the keys it writes.
/// - Durability: with ``Synchronous/full`` (the default) a write is on disk before the call returns, so neither
///   SIGKILL nor power loss loses an acknowledged write. Writes that arrive while a commit is in flight share the
///   next commit (``SQLiteCommitQueue``), each in its own savepoint with its own revision.
/// - Leases: stored with their absolute expiry (wall clock), so they survive a restart. Expired leases are
///   reaped by ``run()`` (run it as a service) and lazily by ``keepAlive(_:)``.
/// - Watch: replays the `events` history table, then follows commits; see ``watch(prefix:fromRevision:)``.
public final class SQLiteClusterStore: ClusterStore {
    public let kind = "sqlite"

    let pool: DatabasePool
    let hub: WatchHub
    /// Groups concurrent write transactions into one commit.
    let commits = SQLiteCommitQueue()
    let logger: Logger
    /// Wall clock in milliseconds since 1970, injectable for tests.
    let now: @Sendable () -> Int64
    /// How often ``run()`` looks for expired leases.
    let expiryInterval: Duration

    /// Opens (creating if needed) the store at `path`.
    ///
    /// - Parameters:
    ///   - path: the SQLite database file; its directory must exist. A new file is created readable by its owner
    ///     only (0600), and so are its WAL and shared-memory files.
    ///   - synchronous: how durable a commit is before it is acknowledged.
    ///   - logger: where the store logs (debug level and below, warnings on failures of the expiry loop).
    ///   - expiryInterval: how often ``run()`` reaps expired leases.
    ///   - now: the wall clock in milliseconds since 1970; lease expiry times are absolute on this clock.
    public init(
        path: String,
        synchronous: Synchronous = .full,
        logger: Logger = Logger(label: "flotilla.store.sqlite"),
        expiryInterval: Duration = .milliseconds(100),
        now: @escaping @Sendable () -> Int64 = { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
    ) throws {
        var configuration = Configuration()
        configuration.label = "flotilla.store"
        configuration.busyMode = .timeout(10)
        let pragma = "PRAGMA synchronous = \(synchronous.rawValue.uppercased())"
        configuration.prepareDatabase { db in
            try db.execute(sql: pragma)
        }
        SQLiteDatabaseFile.createOwnerOnly(path)
        do {
            let pool = try DatabasePool(path: path, configuration: configuration)
            // GRDB switches the writer to NORMAL when it enables WAL, after `prepareDatabase`: set it again.
            try pool.writeWithoutTransaction { try $0.execute(sql: pragma) }
            try SQLiteSchema.migrator.migrate(pool)
            let revision = try pool.read { try SQLiteQueries.currentRevision($0) }
            self.pool = pool
            self.hub = WatchHub(revision: revision)
        } catch {
            throw Self.mapped(error)
        }
        self.logger = logger
        self.now = now
        self.expiryInterval = expiryInterval
        logger.debug("opened sqlite store", metadata: ["path": "\(path)", "synchronous": "\(synchronous.rawValue)"])
    }

    /// The number of live watch streams (for diagnostics and tests).
    public var activeWatchCount: Int { hub.count }

    /// Ends every watch with ``StoreError/unavailable(_:)`` and closes the database. The store is unusable
    /// afterwards.
    public func close() throws {
        hub.close()
        do { try pool.close() } catch { throw Self.mapped(error) }
    }

    public func get(_ key: String) async throws -> KeyValue? {
        try await read { try SQLiteQueries.get($0, key) }
    }

    public func range(prefix: String) async throws -> RangeResult {
        try await read { db in
            RangeResult(kvs: try SQLiteQueries.range(db, prefix: prefix), revision: try SQLiteQueries.currentRevision(db))
        }
    }

    @discardableResult
    public func put(_ key: String, value: Data, lease: LeaseID?) async throws -> Revision {
        try await write { writer in
            try writer.put(key, value: value, lease: lease)
            return try writer.finish()
        }
    }

    @discardableResult
    public func delete(_ key: String) async throws -> DeleteResult {
        try await write { writer in
            let deleted = try writer.delete(key)
            return DeleteResult(revision: try writer.finish(), deleted: deleted)
        }
    }

    public func txn(_ compares: [Compare], then: [TxnOp], otherwise: [TxnOp]) async throws -> TxnResult {
        try StoreRules.validate(then)
        try StoreRules.validate(otherwise)
        return try await write { writer in
            var succeeded = true
            for compare in compares where !compare.evaluate(try SQLiteQueries.get(writer.db, compare.key)) {
                succeeded = false
                break
            }
            var results: [TxnOpResult] = []
            for op in succeeded ? then : otherwise {
                switch op {
                case .put(let key, let value, let lease):
                    try writer.put(key, value: value, lease: lease)
                    results.append(.put)
                case .delete(let key):
                    results.append(.delete(deleted: try writer.delete(key) ? 1 : 0))
                case .deletePrefix(let prefix):
                    results.append(.delete(deleted: try writer.deletePrefix(prefix)))
                case .get(let key):
                    results.append(.get(try SQLiteQueries.get(writer.db, key)))
                case .range(let prefix):
                    results.append(.range(try SQLiteQueries.range(writer.db, prefix: prefix)))
                }
            }
            return TxnResult(succeeded: succeeded, revision: try writer.finish(), results: results)
        }
    }

    public func compact(revision: Revision) async throws {
        try await writeMeta { db in
            let current = try SQLiteQueries.currentRevision(db)
            guard revision <= current else {
                throw StoreError.invalid("cannot compact to revision \(revision), the current revision is \(current)")
            }
            let compacted = try SQLiteQueries.compactRevision(db)
            // etcd keeps `revision` itself: every revision before it goes.
            guard revision - 1 > compacted else { return }
            try db.execute(sql: "DELETE FROM events WHERE revision < ?", arguments: [revision])
            try db.execute(sql: "UPDATE meta SET compact_revision = ? WHERE id = 1", arguments: [revision - 1])
        }
    }

    public func status() async throws -> StoreStatus {
        let (kind, path) = (self.kind, pool.path)
        return try await read { db in
            StoreStatus(
                kind: kind, revision: try SQLiteQueries.currentRevision(db),
                oldestRevision: try SQLiteQueries.compactRevision(db) + 1, healthy: true,
                details: ["path": path])
        }
    }
}
