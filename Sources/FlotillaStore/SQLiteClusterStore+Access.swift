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

    /// Runs one store transaction through a ``SQLiteRevisionWriter`` and tells the watchers when it created a
    /// revision. Transactions that arrive together commit together (``SQLiteCommitQueue``), each in its own
    /// savepoint: throwing rolls back this one's writes only, and it is answered once the group is on disk.
    func write<T: Sendable>(_ body: @escaping @Sendable (inout SQLiteRevisionWriter) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (reply: CheckedContinuation<T, any Error>) in
            commits.submit(
                SQLiteCommitQueue.Item(
                    run: { db, nowMs in
                        var outcome: Result<T, any Error> = .failure(CancellationError())
                        var revision: Revision?
                        do {
                            try db.inSavepoint {
                                var writer = try SQLiteRevisionWriter(db: db, nowMs: nowMs)
                                outcome = .success(try body(&writer))
                                revision = writer.wrote ? writer.revision : nil
                                return .commit
                            }
                        } catch {
                            (outcome, revision) = (.failure(Self.mapped(error)), nil)
                        }
                        let answer = outcome
                        return (revision, { reply.resume(with: answer) })
                    },
                    fail: { reply.resume(throwing: $0) }),
                to: self)
        }
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
