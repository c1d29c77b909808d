import FlotillaCore
import GRDB

extension SQLiteClusterStore {
    /// Runs a read on a reader connection, mapping database errors.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(body)
        } catch {
            throw Self.mapped(error)
        }
    }

    /// Runs one write transaction through a ``SQLiteRevisionWriter`` and tells the watchers when it created
    /// a revision. Throwing rolls everything back.
    func write<T: Sendable>(_ body: @escaping @Sendable (inout SQLiteRevisionWriter) throws -> T) async throws -> T {
        let now = self.now
        let (result, revision): (T, Revision?)
        do {
            (result, revision) = try await pool.write { db in
                var writer = try SQLiteRevisionWriter(db: db, nowMs: now())
                let result = try body(&writer)
                return (result, writer.wrote ? writer.revision : nil)
            }
        } catch {
            throw Self.mapped(error)
        }
        if let revision { hub.publish(revision) }
        return result
    }

    /// Runs a write transaction that changes no key (so creates no revision).
    func writeMeta<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.write(body)
        } catch {
            throw Self.mapped(error)
        }
    }

    /// Store errors pass through; database errors become ``StoreError/unavailable(_:)``.
    static func mapped(_ error: any Error) -> any Error {
        switch error {
        case is StoreError, is CancellationError: return error
        case let error as DatabaseError: return StoreError.unavailable("sqlite: \(error)")
        default: return StoreError.unavailable("sqlite: \(error)")
        }
    }
}
