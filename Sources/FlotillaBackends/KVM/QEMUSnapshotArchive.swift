import FlotillaCore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A kvm snapshot folder as one byte stream, for a snapshot made into an instance on another host
/// (docs/decisions/0028-snapshots.md): `tar` of the folder (sparse) on the holder; on the other host the stream is
/// written to a file first (a pipe into `tar` would take the server down with SIGPIPE when tar fails), then unpacked
/// into a scratch folder, checked (one folder holding the snapshot's record and regular files only) and moved into
/// place.
enum QEMUSnapshotArchive {
    /// How much is read from tar at a time.
    static let pieceBytes = 1 << 20

    /// Runs `tar -cSf - <name>` in `root` and hands its output to `write` piece by piece; throws tar's error.
    static func export(root: String, name: String, tar: String, write: ([UInt8]) async throws -> Void) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tar)
        process.arguments = ["-C", root, "-cSf", "-", "--", name]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let fd = output.fileHandleForReading.fileDescriptor
        do {
            while let piece = try await read(fd) { try await write(piece) }
        } catch {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw error
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let why = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw BackendError.failed("tar of snapshot \(name) failed (\(process.terminationStatus)): \(why)")
        }
    }

    /// Writes what `source` gives to `scratch`.tar, unpacks it into `scratch`, checks that it holds exactly the
    /// folder `snapshotId` with a record of that snapshot and regular files only, and moves that folder to
    /// `destination`. Nothing is left behind when any step fails.
    static func importArchive(
        snapshotId: String, scratch: String, destination: String, tar: String, timeout: Duration, from source: SnapshotByteSource
    ) async throws {
        let archive = scratch + ".tar"
        defer {
            try? FileManager.default.removeItem(atPath: archive)
            try? FileManager.default.removeItem(atPath: scratch)
        }
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: archive, contents: nil, attributes: [.posixPermissions: 0o600]),
            let handle = FileHandle(forWritingAtPath: archive)
        else { throw BackendError.failed("cannot write \(archive)") }
        let file = ArchiveFile(handle: handle)
        do {
            try await source { piece in try file.append(piece) }
            try handle.close()
        } catch {
            try? handle.close()
            throw error
        }
        _ = try await Subprocess.run(tar, ["-C", scratch, "--no-same-owner", "-xSf", archive], timeout: timeout)
        let names = try FileManager.default.contentsOfDirectory(atPath: scratch)
        guard names == [snapshotId] else {
            throw BackendError.failed("the archive holds \(names.sorted()), not the folder of snapshot \(snapshotId)")
        }
        let folder = scratch + "/" + snapshotId
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) {
            let type = try FileManager.default.attributesOfItem(atPath: folder + "/" + name)[.type] as? FileAttributeType
            guard type == .typeRegular else { throw BackendError.failed("the archive of snapshot \(snapshotId) holds \(name), not a file") }
        }
        guard let data = FileManager.default.contents(atPath: folder + "/" + QEMUSnapshotFolder.recordName),
            let record = try? JSONDecoder().decode(QEMUSnapshotRecord.self, from: data), record.snapshotId == snapshotId
        else { throw BackendError.failed("the archive does not hold the record of snapshot \(snapshotId)") }
        try FileManager.default.moveItem(atPath: folder, toPath: destination)
    }

    /// One read of up to ``pieceBytes`` off the cooperative pool; nil at the end of input.
    private static func read(_ fd: Int32) async throws -> [UInt8]? {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                var buffer = [UInt8](repeating: 0, count: pieceBytes)
                while true {
                    let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, pieceBytes) }
                    if count < 0 && errno == EINTR { continue }
                    if count < 0 {
                        continuation.resume(throwing: BackendError.failed("reading tar's output failed: errno \(errno)"))
                    } else {
                        continuation.resume(returning: count == 0 ? nil : Array(buffer.prefix(count)))
                    }
                    return
                }
            }
        }
    }

    /// The archive being written (each piece appended in order by the one task that pumps the stream).
    private final class ArchiveFile: @unchecked Sendable {
        let handle: FileHandle
        init(handle: FileHandle) { self.handle = handle }
        func append(_ piece: [UInt8]) throws { try handle.write(contentsOf: piece) }
    }
}
