import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The database file of a ``SQLiteClusterStore``.
enum SQLiteDatabaseFile {
    /// Creates the file at `path`, empty and readable by its owner only (0600), when it does not exist yet. An
    /// empty file is an empty SQLite database, and SQLite gives the WAL and shared-memory files it creates
    /// beside it the database file's mode: none of the three is ever readable by other users (ADR 0014).
    static func createOwnerOnly(_ path: String) {
        guard !path.isEmpty, path != ":memory:", !path.hasPrefix("file:") else { return }
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd >= 0 { close(fd) }
    }
}
