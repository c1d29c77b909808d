import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The identity of a data folder (ADR 0010): a random id made the first time a host starts on the folder and
/// kept in `<data-dir>/node-key` (mode 0600). `Membership` writes it into every heartbeat, so a restart of the
/// same host (same folder) is the same node, and another folder under the same `--host-id` is another one.
enum NodeKey {
    /// The node key of `dataDir` (an existing folder), made and stored on first use.
    static func resolve(dataDir: String) throws -> String {
        let path = dataDir + "/node-key"
        if let existing = try read(path) { return existing }
        let key = UUID().uuidString.lowercased()
        // Written whole to a temporary file, then renamed: a crash never leaves a half-written key.
        let temporary = path + ".\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure("create", temporary, errno) }
        let bytes = Data((key + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let saved = written == bytes.count && fsync(fd) == 0
        let code = errno
        close(fd)
        guard saved, rename(temporary, path) == 0 else {
            let error = failure("write", path, saved ? errno : code)
            unlink(temporary)
            throw error
        }
        return key
    }

    /// The key stored at `path` (at most 256 bytes read), or nil when there is none yet.
    private static func read(_ path: String) throws -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            if FileManager.default.fileExists(atPath: path) { throw failure("read", path, EACCES) }
            return nil
        }
        defer { try? handle.close() }
        let data = try handle.read(upToCount: 256) ?? Data()
        let key = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return key.isEmpty ? nil : key
    }

    private static func failure(_ verb: String, _ path: String, _ code: Int32) -> HostError {
        HostError.configuration("cannot \(verb) the node key \(path): \(String(cString: strerror(code)))")
    }
}
