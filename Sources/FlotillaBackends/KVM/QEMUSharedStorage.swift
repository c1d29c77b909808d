import FlotillaCore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Disk storage that several hosts mount at the same path (NFS, CephFS, a SAN filesystem), named by the host's
/// `--kvm-shared-dir` (docs/decisions/0029-shared-disk-storage.md). The writable disks of the host's kvm instances
/// live in `<dir>/instances/<instance id>/`; a live migration between two hosts that see the same storage moves
/// only memory. Which hosts share it is told by an identity the first host writes once into `<dir>/.flotilla-storage-id`:
/// two hosts share the storage when they read the same identity at the same path.
public struct QEMUSharedStorage: Sendable, Equatable {
    public let directory: String
    public let id: String

    static let idFileName = ".flotilla-storage-id"

    /// The storage at `directory` (made when missing), its identity read, or written by this host when it is the
    /// first (an exclusive link: of two hosts starting at once, one identity wins and both read it).
    public static func open(_ directory: String) throws -> QEMUSharedStorage {
        let path = URL(fileURLWithPath: directory).standardizedFileURL.path
        try FileManager.default.createDirectory(atPath: path + "/instances", withIntermediateDirectories: true)
        let idFile = path + "/" + idFileName
        if !FileManager.default.fileExists(atPath: idFile) {
            let candidate = path + "/.flotilla-storage-id.\(UUID().uuidString.lowercased())"
            try Data((UUID().uuidString.lowercased() + "\n").utf8).write(to: URL(fileURLWithPath: candidate))
            defer { unlink(candidate) }
            if link(candidate, idFile) != 0 && errno != EEXIST {
                throw BackendError.unavailable("cannot write \(idFile): errno \(errno)")
            }
        }
        let text = try String(contentsOfFile: idFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw BackendError.unavailable("\(idFile) is empty: remove it to make a new identity") }
        return QEMUSharedStorage(directory: path, id: text)
    }

    /// The folder of one instance's writable disks.
    func diskFolder(_ instanceId: String) -> String { directory + "/instances/" + instanceId }
}
