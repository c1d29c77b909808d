import FlotillaCore
import Foundation

/// The files of one kvm instance, all under `<kvm dir>/<id>/` but its writable disks when they are on shared
/// storage (``QEMUSharedStorage``, `diskDirectory`).
struct QEMUInstanceFiles: Sendable {
    let directory: String
    /// Where the writable disks (the overlay, additional disks) are: the instance folder, or its folder on storage
    /// shared with other hosts.
    let diskDirectory: String

    init(root: String, id: String, diskDirectory: String? = nil) {
        directory = root + "/" + id
        self.diskDirectory = diskDirectory ?? directory
    }

    /// Whether the disks are on shared storage (then other hosts may use them: see ``diskOwner``).
    var sharesDisks: Bool { diskDirectory != directory }
    /// On shared storage: the marker of the host whose instance uses the disks now (only that host removes them).
    var diskOwner: String { diskDirectory + "/owner" }

    /// What create was asked for, kept so that a restarted backend knows the instance.
    var record: String { directory + "/instance.json" }
    /// The instance id and the host token: proof that this host's Flotilla owns the QEMU.
    var owner: String { directory + "/owner" }
    var qmpSocket: String { directory + "/qmp.sock" }
    /// The second QMP monitor, followed for events while QEMU runs.
    var eventsSocket: String { directory + "/events.sock" }
    var console: String { directory + "/console.log" }
    var pidFile: String { directory + "/qemu.pid" }
    /// QEMU's own standard output and error.
    var qemuLog: String { directory + "/qemu.log" }
    /// The argument list of the last launch.
    var arguments: String { directory + "/qemu.args" }
    var overlay: String { diskDirectory + "/overlay.qcow2" }
    var cidata: String { directory + "/cidata.iso" }
    var cidataSource: String { directory + "/cidata" }
    /// An additional disk (docs/decisions/0026-vm-disks.md): an overlay on its catalog image, or an empty disk.
    func disk(_ id: String) -> String { diskDirectory + "/disk-\(id).qcow2" }
    /// Live migration (docs/decisions/0027-live-migration.md), destination: the incoming memory stream and the disk
    /// server (NBD) of an incoming QEMU; source: the tunnel dialers its QEMU connects to.
    var migrationIn: String { directory + "/migrate-in.sock" }
    var disksIn: String { directory + "/nbd-in.sock" }
    var migrationOut: String { directory + "/migrate-out.sock" }
    var disksOut: String { directory + "/nbd-out.sock" }
}

/// What a kvm instance was created with (`instance.json`).
struct QEMUInstanceRecord: Codable, Sendable, Equatable {
    var id: String
    var name: String
    var kind: InstanceKind
    var spec: InstanceSpec
    var kernelPath: String?
    var initrdPath: String?
    var rootDiskPath: String?
    var rootDiskFormat: String?
    /// The size of the per-instance disk, 0 when there is none.
    var diskBytes: Int64
    var hasDisk: Bool
    var hasCidata: Bool
    var createdAt: Date
    /// The catalog image under each additional disk's overlay, by disk id (absent in records written before
    /// there were additional disks).
    var diskImages: [String: DiskImage]?
    /// The networks of the spec's interfaces, by name.
    var networks: [String: NetworkDefinition]?
    /// Set while the instance waits for a live migration to arrive (docs/decisions/0027-live-migration.md): its QEMU
    /// runs with `-incoming defer`; cleared once the migrated guest runs here.
    var incoming: Bool?
    /// Set on an instance made from a snapshot with memory (docs/decisions/0028-snapshots.md): the internal qcow2
    /// snapshot its first start loads (`-loadvm`); cleared once that start has succeeded.
    var resumeSnapshotTag: String?
    /// The folder of its writable disks when they are on shared storage (docs/decisions/0029-shared-disk-storage.md);
    /// nil: the instance folder.
    var diskFolder: String?
    /// Set on an incoming instance that uses the source's disks on shared storage: its guest stays paused once
    /// loaded until ``QEMUBackend/activateIncoming(id:)`` (after the cluster named this host its owner).
    var incomingShared: Bool?

    /// The spec's interfaces.
    var interfaces: [NetworkInterface] { spec.config.networks ?? [] }
    /// The spec's additional disks.
    var disks: [DiskSpec] { spec.config.disks ?? [] }
}

/// The `owner` marker: the instance id and a random token of this host's kvm data folder.
struct QEMUOwnerMarker: Equatable {
    var id: String
    var hostToken: String

    var text: String { "flotilla-kvm-owner\nid=\(id)\nhost-token=\(hostToken)\n" }

    init(id: String, hostToken: String) {
        self.id = id
        self.hostToken = hostToken
    }

    init?(text: String) {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let kv = line.split(separator: "=", maxSplits: 1).map(String.init)
            if kv.count == 2 { fields[kv[0]] = kv[1] }
        }
        guard text.hasPrefix("flotilla-kvm-owner\n"), let id = fields["id"], let token = fields["host-token"] else { return nil }
        self.init(id: id, hostToken: token)
    }
}
