import Logging
import PostgresNIO

/// Applies the schema's migrations a database lacks, in order, each at most once (ADR 0030).
///
/// Everything runs in one transaction under an advisory lock, so hosts that start together on a new database
/// wait for each other instead of racing, and a migration that fails leaves nothing half applied.
enum PostgresMigrator {
    static func migrate(_ client: PostgresClient, logger: Logger) async throws {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(PostgresSchema.migrationLock))", logger: logger)
            for statement in PostgresSchema.bootstrap {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            var applied = Set<String>()
            for try await name in try await connection.query("SELECT name FROM flotilla.migrations", logger: logger).decode(String.self) {
                applied.insert(name)
            }
            for migration in PostgresSchema.migrations where !applied.contains(migration.name) {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("INSERT INTO flotilla.migrations (name) VALUES (\(migration.name))", logger: logger)
                logger.info("applied store migration", metadata: ["migration": "\(migration.name)"])
            }
        }
    }
}
