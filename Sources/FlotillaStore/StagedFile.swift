import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file that appears under its final name only once it is complete: it is written as a hidden temporary file
/// in the same folder (readable by its owner only, 0600), flushed to disk, then renamed. A failure, a crash or a
/// kill leaves at most the temporary file, never a half file under the final name.
enum StagedFile {
    /// Creates `destination` through a temporary file that `fill` writes (given its path; the file exists, empty,
    /// mode 0600). Refuses a `destination` that already exists: a backup never replaces another file.
    static func create(at destination: String, _ fill: (String) throws -> Void) throws {
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw StoreFileError("\(destination) already exists: choose another name or remove it first")
        }
        let url = URL(fileURLWithPath: destination).absoluteURL
        let folder = url.deletingLastPathComponent().path
        let temporary = folder + "/." + url.lastPathComponent + "." + UUID().uuidString.prefix(8).lowercased() + ".partial"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StoreFileError("cannot create a file in \(folder): \(String(cString: strerror(errno)))") }
        close(fd)
        do {
            try fill(temporary)
            try flush(temporary)
            guard rename(temporary, destination) == 0 else {
                throw StoreFileError("cannot rename \(temporary) to \(destination): \(String(cString: strerror(errno)))")
            }
        } catch {
            unlink(temporary)
            throw error
        }
        // The rename itself is durable once the folder is flushed; a folder that cannot be flushed still has the file.
        try? flush(folder)
    }

    /// Flushes `path` (a file or a folder) to disk.
    private static func flush(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreFileError("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw StoreFileError("cannot flush \(path) to disk: \(String(cString: strerror(errno)))") }
    }
}
