import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Keeps a data folder readable by its owner only (ADR 0014): the folder 0700, and the files that hold the
/// store, the node key, the cluster secret and the lock 0600. Folders made before ADR 0014 (or by hand) may be
/// looser: each start tightens what it finds.
enum DataFolderPermissions {
    /// The files of a data folder that must stay the owner's: SQLite's database with its WAL and shared-memory
    /// files (which SQLite creates with the database's mode), the node key, the cluster secret, the lock.
    static let ownerOnlyFiles = [
        "flotilla.sqlite", "flotilla.sqlite-wal", "flotilla.sqlite-shm", "node-key", "cluster-secret", "flotilla.lock",
    ]

    /// Removes every group and other permission from `dataDir` (then 0700) and its ``ownerOnlyFiles`` (then
    /// 0600) that have any; returns the paths it changed. Missing files are skipped.
    static func tighten(_ dataDir: String) throws -> [String] {
        var changed: [String] = []
        if try restrict(dataDir, to: 0o700) { changed.append(dataDir) }
        for file in ownerOnlyFiles where try restrict(dataDir + "/" + file, to: 0o600) {
            changed.append(dataDir + "/" + file)
        }
        return changed
    }

    /// Sets `path` to `mode` when group or others have any permission on it; false when it did not need it or
    /// does not exist. A symbolic link is left alone.
    private static func restrict(_ path: String, to mode: mode_t) throws -> Bool {
        // FileManager rather than lstat(2): under MemberImportVisibility the members of Glibc's `struct stat` count as
        // NIO's CNIOLinux's (the module that read the header first), which this target cannot declare.
        // attributesOfItem(atPath:) does not follow a symbolic link either.
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch CocoaError.fileReadNoSuchFile {
            return false
        } catch {
            throw HostError.configuration("cannot read the permissions of \(path): \(error.localizedDescription)")
        }
        let permissions = (attributes[.posixPermissions] as? NSNumber)?.uint16Value ?? 0
        guard attributes[.type] as? FileAttributeType != .typeSymbolicLink, permissions & 0o077 != 0 else { return false }
        guard chmod(path, mode) == 0 else {
            throw HostError.configuration("cannot make \(path) readable by its owner only: \(String(cString: strerror(errno)))")
        }
        return true
    }
}
