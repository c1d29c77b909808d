import FlotillaCore
import Foundation
import GRDB

/// Online backup of the SQLite store (issue 18): a consistent copy of the database file while a host runs on it.
extension SQLiteClusterStore {
    /// What a backup copied: the copy's keys and revision.
    public struct BackupReport: Sendable, Equatable {
        public var keys: Int
        public var revision: Revision
    }

    /// Copies the store database at `source` into a new file at `destination`, which opens as a
    /// ``SQLiteClusterStore`` with the same keys, revisions, leases and history.
    ///
    /// The source is opened read-only and copied with SQLite's online backup API in one step, inside one read
    /// transaction: the copy is the database at one commit. In WAL mode (as a running host keeps it) a reader
    /// never blocks the writer nor waits for it, so the host goes on writing meanwhile. The copy is made as a
    /// temporary file readable by its owner only, checked, switched from WAL to a rollback journal (so it is one
    /// self-contained file), and only then renamed to `destination`, which must not exist.
    public static func backup(databaseAt source: String, to destination: String) throws -> BackupReport {
        guard FileManager.default.fileExists(atPath: source) else { throw StoreFileError("no SQLite store at \(source)") }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        configuration.label = "flotilla.store.backup"
        var report = BackupReport(keys: 0, revision: 0)
        do {
            let reader = try DatabaseQueue(path: source, configuration: configuration)
            defer { try? reader.close() }
            try StagedFile.create(at: destination) { temporary in
                let copy = try DatabaseQueue(path: temporary)
                defer { try? copy.close() }
                try reader.backup(to: copy)
                report = try copy.read { db in
                    guard try db.tableExists("kv"), try db.tableExists("meta") else {
                        throw StoreFileError("\(source) is not a Flotilla store: it has no kv and meta tables")
                    }
                    let check = try String.fetchOne(db, sql: "PRAGMA quick_check") ?? "no answer"
                    guard check == "ok" else { throw StoreFileError("the copy of \(source) fails SQLite's check: \(check)") }
                    let keys = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM kv") ?? 0
                    return BackupReport(keys: keys, revision: try SQLiteQueries.currentRevision(db))
                }
                try copy.writeWithoutTransaction { try $0.execute(sql: "PRAGMA journal_mode = DELETE") }
                try copy.close()
            }
        } catch let error as StoreFileError {
            throw error
        } catch let error as DatabaseError {
            throw StoreFileError("cannot copy \(source): \(error.message ?? "\(error)")")
        }
        return report
    }
}
