import FlotillaCore
import FlotillaStore
import Foundation
import Testing

/// Runs the store contract on a ``PostgresClusterStore`` over a real PostgreSQL server: the suite's shared server
/// (``PostgresServerTrait``) with a database of the harness's own, so compaction in one case cannot touch another's
/// history. ``restart()`` closes the store object and opens a new one on the same database (a host restart).
public actor PostgresStoreHarness: StoreHarness {
    public nonisolated let supportsRestart = true
    public nonisolated let server: PostgresServer
    private var database: String?
    private var store: PostgresClusterStore?

    public init(server: PostgresServer) {
        self.server = server
    }

    public func makeStore() async throws -> any ClusterStore {
        if let store { return store }
        return try await open()
    }

    public func restart() async throws -> any ClusterStore {
        await store?.close()
        store = nil
        return try await open()
    }

    public func tearDown() async throws {
        await store?.close()
        store = nil
        if let database { try await server.sql("DROP DATABASE \(database)") }
    }

    private func open() async throws -> PostgresClusterStore {
        let database: String
        if let existing = self.database {
            database = existing
        } else {
            database = try await server.createDatabase()
            self.database = database
        }
        let store = try await server.store(database)
        self.store = store
        return store
    }
}

/// Starts one PostgreSQL server for a whole suite and stops it after its last test: tests reach it with
/// ``PostgresServer/shared()``. Apply with `@Suite(.sharedPostgres)`.
public struct PostgresServerTrait: SuiteTrait, TestScoping {
    public var isRecursive: Bool { false }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let server = try await PostgresServer.start()
        do {
            try await PostgresServer.$current.withValue(server) { try await function() }
        } catch {
            await server.tearDown()
            throw error
        }
        await server.tearDown()
    }
}

extension Trait where Self == PostgresServerTrait {
    /// One real PostgreSQL server for the suite (see ``PostgresServerTrait``).
    public static var sharedPostgres: Self { PostgresServerTrait() }
}

extension Trait where Self == ConditionTrait {
    /// Runs PostgreSQL tests when its server is installed or `FLOTILLA_REQUIRE_REAL=1` (then a missing server fails
    /// them); otherwise skips them, saying why.
    public static var postgresAvailable: Self {
        .enabled(
            if: PostgresServer.testsEnabled,
            "PostgreSQL is not installed (\(PostgresServer.binDirectory)): apt-get install -y postgresql-15, or set FLOTILLA_REQUIRE_REAL=1 to fail instead of skipping"
        )
    }
}

extension PostgresServer {
    /// The server of the running suite (``PostgresServerTrait``).
    @TaskLocal public static var current: PostgresServer?

    /// The suite's shared server; fails when the suite has no ``PostgresServerTrait``.
    public static func shared() throws -> PostgresServer {
        guard let current else { throw ProcessFailure("no shared PostgreSQL server: add .sharedPostgres to the suite") }
        return current
    }
}
