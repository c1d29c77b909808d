import FlotillaCore
import Foundation
import Logging
import NIOSSL
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The ``ClusterStore`` on a PostgreSQL database (ADR 0030), with etcd v3's semantics, so that several hosts on one
/// database share one cluster state as they would on etcd.
///
/// - Revisions: one counter in `flotilla.meta`, locked by every write; each write transaction that changes a key
///   creates exactly one revision (``PostgresSchema``).
/// - Writes: concurrent transactions are grouped into one call of `flotilla.apply`, one round trip and one commit
///   for the group, each transaction still with its own revision (``PostgresCommitQueue``).
/// - Leases: expire on the database's clock; every host reaps the expired ones (``expireLeases()``).
/// - Watch: replays `flotilla.events`; LISTEN/NOTIFY only wakes the watchers, and a poll backs it up, so a dropped
///   notification costs at most a poll interval, never an event (``PostgresRevisionListener``).
/// - Deadlines: every call has ``requestTimeout`` on the client and a `statement_timeout` on the server.
public final class PostgresClusterStore: ClusterStore, Service {
    public let kind = "postgres"

    let client: PostgresClient
    let hub: WatchHub
    let logger: Logger
    let address: StoreLocation.PostgresAddress
    /// The deadline of one call.
    public let requestTimeout: Duration
    let commits = PostgresCommitQueue()
    let listener: PostgresRevisionListener
    /// How often expired leases are reaped.
    let expiryInterval: Duration
    /// The client's connection pool, then the listener and the lease reaper: cancelled and awaited by ``close()``.
    private let tasks: Mutex<[Task<Void, Never>]>

    /// Connects to the database, applies the migrations it lacks, and starts the store's background work (the
    /// client's connections, the revision listener, the lease reaper) until ``close()``.
    ///
    /// - Parameters:
    ///   - address: the database (``StoreLocation/postgres(_:)``).
    ///   - password: the user's password, nil for none (trust or peer authentication).
    ///   - tls: the TLS configuration (trust roots, client certificate) used when the address's mode allows TLS.
    ///   - requestTimeout: the deadline of one call, and (twice it) the server's `statement_timeout`.
    ///   - pollInterval: how often a watcher looks for new revisions when no notification came.
    ///   - expiryInterval: how often expired leases are reaped.
    public static func open(
        _ address: StoreLocation.PostgresAddress, password: String?, tls: TLSConfiguration = .makeClientConfiguration(),
        requestTimeout: Duration = .seconds(5), pollInterval: Duration = .seconds(1), expiryInterval: Duration = .milliseconds(200),
        logger: Logger = Logger(label: "flotilla.store.postgres")
    ) async throws -> PostgresClusterStore {
        let configuration = try clientConfiguration(address, password: password, tls: tls, requestTimeout: requestTimeout)
        let store = PostgresClusterStore(
            client: PostgresClient(configuration: configuration, backgroundLogger: logger), address: address,
            requestTimeout: requestTimeout, pollInterval: pollInterval, expiryInterval: expiryInterval, logger: logger)
        // The pool refuses (with a warning) a lease asked for before its run() began: give that task its turn.
        try? await Task.sleep(for: .milliseconds(20))
        do {
            try await store.call("migrate") { client in try await PostgresMigrator.migrate(client, logger: logger) }
            store.hub.publish(try await store.currentRevision())
        } catch {
            await store.close()
            throw error
        }
        store.tasks.withLock { tasks in
            tasks.append(Task { await store.listener.run(store) })
            tasks.append(Task { await store.reapLeases() })
        }
        logger.debug("opened postgres store", metadata: ["host": "\(address.host):\(address.port)", "database": "\(address.database)"])
        return store
    }

    private init(
        client: PostgresClient, address: StoreLocation.PostgresAddress, requestTimeout: Duration, pollInterval: Duration,
        expiryInterval: Duration, logger: Logger
    ) {
        self.client = client
        self.address = address
        self.requestTimeout = requestTimeout
        self.logger = logger
        self.expiryInterval = expiryInterval
        hub = WatchHub(revision: 0)
        listener = PostgresRevisionListener(pollInterval: pollInterval)
        tasks = Mutex([Task { await client.run() }])
    }

    /// The number of live watch streams (for diagnostics and tests).
    public var activeWatchCount: Int { hub.count }

    /// The server process of the connection that listens for other hosts' commits, while it listens (for
    /// diagnostics, and for tests that kill it).
    public var notificationBackendPID: Int32? { listener.backendPID }

    public func get(_ key: String) async throws -> KeyValue? {
        try await call("get") { client in
            let rows = try await client.query(
                "SELECT key, value, create_revision, mod_revision, version, lease FROM flotilla.kv WHERE key = \(key)")
            for try await row in rows { return try Self.keyValue(row) }
            return nil
        }
    }

    public func range(prefix: String) async throws -> RangeResult {
        let end = prefix.prefixUpperBound
        return try await call("range") { client in
            // One statement, one snapshot: the revision and the keys agree.
            let rows = try await client.query(
                """
                SELECT m.revision, k.key, k.value, k.create_revision, k.mod_revision, k.version, k.lease
                FROM flotilla.meta m LEFT JOIN flotilla.kv k ON flotilla.in_range(k.key, \(prefix), \(end))
                WHERE m.id = 1 ORDER BY k.key
                """)
            var revision: Revision = 0
            var kvs: [KeyValue] = []
            for try await row in rows {
                let (current, key, value, create, mod, version, lease) = try row.decode(
                    (Int64, String?, Data?, Int64?, Int64?, Int64?, Int64?).self)
                revision = current
                if let key, let value, let create, let mod, let version {
                    kvs.append(
                        KeyValue(
                            key: key, value: value, createRevision: create, modRevision: mod, version: version,
                            lease: lease.map(LeaseID.init)))
                }
            }
            return RangeResult(kvs: kvs, revision: revision)
        }
    }

    @discardableResult
    public func put(_ key: String, value: Data, lease: LeaseID?) async throws -> Revision {
        try await txn([], then: [.put(key: key, value: value, lease: lease)], otherwise: []).revision
    }

    @discardableResult
    public func delete(_ key: String) async throws -> DeleteResult {
        let result = try await txn([], then: [.delete(key: key)], otherwise: [])
        guard case .delete(let deleted) = result.results.first else {
            throw StoreError.unavailable("postgres: a delete answered \(result.results)")
        }
        return DeleteResult(revision: result.revision, deleted: deleted > 0)
    }

    public func txn(_ compares: [Compare], then: [TxnOp], otherwise: [TxnOp]) async throws -> TxnResult {
        try StoreRules.validate(then)
        try StoreRules.validate(otherwise)
        let outcome = try await commits.submit(PostgresTxnWire.Txn(compares: compares, then: then, otherwise: otherwise), store: self)
        switch outcome {
        case .done(let result): return result
        case .leaseNotFound(let lease): throw StoreError.leaseNotFound(lease)
        }
    }

    /// Runs one batch through `flotilla.apply` (``PostgresCommitQueue`` calls it) and wakes this host's watchers.
    func apply(_ batch: [PostgresTxnWire.Txn]) async throws -> [PostgresTxnWire.Outcome] {
        let input = try PostgresTxnWire.encode(batch)
        let answer = try await call("txn") { client in
            let rows = try await client.query("SELECT flotilla.apply(\(input)::jsonb)")
            for try await row in rows { return try row.decode(String.self) }
            throw StoreError.unavailable("postgres: flotilla.apply returned no row")
        }
        let outcomes = try PostgresTxnWire.decode(answer, count: batch.count)
        let newest = outcomes.compactMap { outcome -> Revision? in
            if case .done(let result) = outcome { return result.revision }
            return nil
        }.max()
        if let newest { hub.publish(newest) }
        return outcomes
    }

    public func compact(revision: Revision) async throws {
        try await call("compact") { client in
            try await client.withTransaction(logger: self.logger) { connection in
                let rows = try await connection.query(
                    "SELECT revision, compact_revision FROM flotilla.meta WHERE id = 1 FOR UPDATE", logger: self.logger)
                var meta: (Int64, Int64) = (0, 0)
                for try await row in rows { meta = try row.decode((Int64, Int64).self) }
                guard revision <= meta.0 else {
                    throw StoreError.invalid("cannot compact to revision \(revision), the current revision is \(meta.0)")
                }
                // etcd keeps `revision` itself: every revision before it goes.
                guard revision - 1 > meta.1 else { return }
                try await connection.query("DELETE FROM flotilla.events WHERE revision < \(revision)", logger: self.logger)
                try await connection.query("UPDATE flotilla.meta SET compact_revision = \(revision - 1) WHERE id = 1", logger: self.logger)
            }
        }
    }

    public func status() async throws -> StoreStatus {
        let (revision, compacted) = try await meta()
        return StoreStatus(
            kind: kind, revision: revision, oldestRevision: compacted + 1, healthy: true,
            details: ["host": "\(address.host):\(address.port)", "database": address.database])
    }

    /// Stops the background work, ends every watch with ``StoreError/unavailable(_:)`` and closes the connections.
    /// The store is unusable afterwards.
    public func close() async {
        hub.close()
        // The listener and the reaper first (they use the client), the client's pool last.
        for task in tasks.withLock({ $0 }).reversed() {
            task.cancel()
            await task.value
        }
    }

    // MARK: Support

    /// The current and the compact revision.
    func meta() async throws -> (revision: Revision, compacted: Revision) {
        try await call("status") { client in
            let rows = try await client.query("SELECT revision, compact_revision FROM flotilla.meta WHERE id = 1")
            for try await row in rows { return try row.decode((Int64, Int64).self) }
            throw StoreError.unavailable("postgres: flotilla.meta has no row")
        }
    }

    func currentRevision() async throws -> Revision { try await meta().revision }

    /// Runs `body` on the client within ``requestTimeout``, mapping every failure onto ``StoreError``.
    func call<T: Sendable>(_ what: String, _ body: @escaping @Sendable (PostgresClient) async throws -> T) async throws -> T {
        let client = self.client
        do {
            return try await withDeadline(requestTimeout) { try await body(client) }
        } catch {
            throw Self.mapped(error, what)
        }
    }

    /// Store errors and cancellation pass through; everything else becomes ``StoreError/unavailable(_:)`` with the
    /// server's message when there is one (never the query's parameters, which may hold secrets).
    static func mapped(_ error: any Error, _ what: String) -> any Error {
        switch error {
        case is StoreError, is CancellationError: return error
        case let error as DeadlineExceeded:
            return StoreError.unavailable(
                "postgres: \(what): no answer within \(error.after) (is the server running and reachable? connection errors are logged)")
        case let error as PSQLError:
            if let message = error.serverInfo?[.message] {
                let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                return StoreError.unavailable("postgres: \(what): \(message)\(state)")
            }
            return StoreError.unavailable("postgres: \(what): \(error.code)\(error.underlying.map { ": \($0)" } ?? "")")
        default: return StoreError.unavailable("postgres: \(what): \(error)")
        }
    }

    static func keyValue(_ row: PostgresRow) throws -> KeyValue {
        let (key, value, create, mod, version, lease) = try row.decode((String, Data, Int64, Int64, Int64, Int64?).self)
        return KeyValue(key: key, value: value, createRevision: create, modRevision: mod, version: version, lease: lease.map(LeaseID.init))
    }
}
