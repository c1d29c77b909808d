import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The exclusive lock of a data folder: one `flotilla serve` per folder (ADR 0010). An advisory `flock` on
/// `<data-dir>/flotilla.lock`, taken without waiting and held for the life of the process; the kernel drops
/// it when the process exits in any way, `kill -9` included, so a stale lock file never blocks a restart. The
/// file holds the holder's PID, for the message the next `serve` prints.
public final class DataFolderLock: Sendable {
    /// The lock file.
    public let path: String
    /// The open descriptor that holds the lock; nil once released.
    private let descriptor: Mutex<Int32?>

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = Mutex(descriptor)
    }

    deinit { release() }

    /// Creates `dataDir` if needed (readable by its owner only, ADR 0014) and takes its lock, then writes this
    /// process's PID into the lock file.
    /// - Throws: ``HostError/dataFolderInUse(path:pid:)`` at once when another process holds the lock.
    public static func acquire(_ dataDir: String) async throws -> DataFolderLock {
        let folder = URL(fileURLWithPath: dataDir).standardizedFileURL.path
        do {
            try FileManager.default.createDirectory(
                atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw HostError.configuration("cannot create the data folder \(folder): \(error.localizedDescription)")
        }
        let path = folder + "/flotilla.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw HostError.configuration("cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            defer { close(fd) }
            guard code == EWOULDBLOCK else {
                throw HostError.configuration("cannot lock \(path): \(String(cString: strerror(code)))")
            }
            throw HostError.dataFolderInUse(path: folder, pid: await holder(fd))
        }
        let pid = Data("\(getpid())\n".utf8)
        let written = pid.withUnsafeBytes { ftruncate(fd, 0) == 0 ? pwrite(fd, $0.baseAddress, $0.count, 0) : -1 }
        guard written == pid.count else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw HostError.configuration("cannot write \(path): \(message)")
        }
        return DataFolderLock(path: path, descriptor: fd)
    }

    /// Releases the lock now (it is released anyway when this object goes away or the process exits).
    public func release() {
        let fd = descriptor.withLock { fd -> Int32? in
            defer { fd = nil }
            return fd
        }
        if let fd { close(fd) }
    }

    /// The PID the holder wrote into the lock file. It writes it just after taking the lock: an empty file
    /// is read again for up to half a second.
    private static func holder(_ fd: Int32) async -> Int32? {
        for _ in 0..<25 {
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
            let text = count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : ""
            if let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) { return pid }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }
}
