import Foundation

/// The folder of one kvm snapshot, `<kvm dir>/snapshots/<snapshot id>/` (docs/decisions/0028-snapshots.md): the
/// record (`snapshot.json`) and copies of the instance's qcow2 files, named as in the instance's folder. With
/// memory, the writable copies hold the internal snapshot whose vmstate the first start loads.
struct QEMUSnapshotFolder: Sendable, Equatable {
    /// `<kvm dir>/snapshots`, where every snapshot folder lives.
    let root: String
    let directory: String

    init(kvmDirectory: String, snapshotId: String) {
        root = Self.root(kvmDirectory: kvmDirectory)
        directory = root + "/" + snapshotId
    }

    /// The folder an artifact's location names, or nil when it is not a snapshot folder directly under
    /// `<kvm dir>/snapshots` (`..` and the like are resolved first).
    init?(kvmDirectory: String, location: String) {
        let root = Self.root(kvmDirectory: kvmDirectory)
        let url = URL(fileURLWithPath: location).standardizedFileURL
        let name = url.lastPathComponent
        guard Self.isValidId(name), url.deletingLastPathComponent().standardizedFileURL.path == root else { return nil }
        self.root = root
        directory = root + "/" + name
    }

    static func root(kvmDirectory: String) -> String {
        URL(fileURLWithPath: kvmDirectory).standardizedFileURL.path + "/snapshots"
    }

    /// A snapshot id usable as a folder name and a qcow2 snapshot tag: 1-64 letters, digits, '-', '_' or '.',
    /// not starting with '.'.
    static func isValidId(_ id: String) -> Bool {
        guard (1...64).contains(id.utf8.count), !id.hasPrefix(".") else { return false }
        return id.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b == 0x2d || b == 0x5f || b == 0x2e
        }
    }

    /// The name of the snapshot's record in its folder.
    static let recordName = "snapshot.json"

    var record: String { directory + "/" + Self.recordName }
    var overlay: String { directory + "/overlay.qcow2" }
    func disk(_ id: String) -> String { directory + "/disk-\(id).qcow2" }
}
