import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A small text file that only its owner may read (mode 0600): the node key, the cluster secret (ADR 0014),
/// private keys (ADR 0017). Written whole to a temporary file made 0600, then renamed, so a crash never leaves a
/// half-written file and no other user ever sees its contents.
public enum OwnerOnlyFile {
    /// The trimmed contents of `path` (at most `limit` bytes read), or nil when it does not exist or is blank.
    /// `what` names the file in errors.
    public static func read(_ path: String, what: String, limit: Int = 256) throws -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            if FileManager.default.fileExists(atPath: path) { throw failure("read", what, path, EACCES) }
            return nil
        }
        defer { try? handle.close() }
        let data = try handle.read(upToCount: limit) ?? Data()
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }

    /// Writes `text` and a newline to `path`, mode 0600.
    public static func save(_ text: String, to path: String, what: String) throws {
        let temporary = path + ".\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure("create", what, temporary, errno) }
        let bytes = Data((text + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let saved = written == bytes.count && fsync(fd) == 0
        let code = errno
        close(fd)
        guard saved, rename(temporary, path) == 0 else {
            let error = failure("write", what, path, saved ? errno : code)
            unlink(temporary)
            throw error
        }
    }

    private static func failure(_ verb: String, _ what: String, _ path: String, _ code: Int32) -> OwnerOnlyFileError {
        OwnerOnlyFileError(message: "cannot \(verb) the \(what) \(path): \(String(cString: strerror(code)))")
    }
}

/// A file of ``OwnerOnlyFile`` that could not be read or written; the message names the file and the cause.
public struct OwnerOnlyFileError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}
