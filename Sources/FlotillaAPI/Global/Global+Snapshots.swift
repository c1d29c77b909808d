import Foundation

extension Global {
    /// A snapshot of an instance (docs/decisions/0028-snapshots.md), as `GET /api/v2/snapshots/{id}` answers it.
    public struct Snapshot: Codable, Sendable, Equatable {
        /// A ULID: snapshots sort by the time they were taken.
        public var id: String
        public var name: String
        /// The instance it was taken of (it may have been deleted since).
        public var vmId: String
        public var vmName: String
        public var kind: String
        public var backend: String
        /// The host whose backend keeps the snapshot's files; a VM made from it runs there.
        public var hostId: String
        /// True when it holds the guest's memory (a VM made from it resumes where it was), false for files only.
        public var includesMemory: Bool
        public var sizeBytes: Int64
        /// The image and resources a VM made from it gets.
        public var image: String
        public var resources: VM.Resources
        public var createdAt: Date
        enum CodingKeys: String, CodingKey {
            case id, name, kind, backend, image, resources
            case vmId = "vm_id"
            case vmName = "vm_name"
            case hostId = "host_id"
            case includesMemory = "includes_memory"
            case sizeBytes = "size_bytes"
            case createdAt = "created_at"
        }
        public init(
            id: String, name: String, vmId: String, vmName: String, kind: String, backend: String, hostId: String,
            includesMemory: Bool, sizeBytes: Int64, image: String, resources: VM.Resources, createdAt: Date
        ) {
            self.id = id
            self.name = name
            self.vmId = vmId
            self.vmName = vmName
            self.kind = kind
            self.backend = backend
            self.hostId = hostId
            self.includesMemory = includesMemory
            self.sizeBytes = sizeBytes
            self.image = image
            self.resources = resources
            self.createdAt = createdAt
        }
    }

    /// `GET /api/v2/snapshots` and `GET /api/v2/vms/{id}/snapshots`: every snapshot, oldest first.
    public struct SnapshotList: Codable, Sendable, Equatable {
        public var items: [Snapshot]
        public init(items: [Snapshot]) { self.items = items }
    }

    /// The optional body of `POST /api/v2/vms/{id}/snapshots`: the snapshot's name (default `<vm name>-<id>`).
    public struct SnapshotCreateRequest: Codable, Sendable, Equatable {
        public var name: String?
        public init(name: String? = nil) { self.name = name }
    }

    /// The body of `POST /api/v2/snapshots/{id}/vms`: the new VM's name (the rest comes from the snapshot) and,
    /// optionally, the host to run it on (default: the host that keeps the snapshot; another host copies its files
    /// from that one first).
    public struct SnapshotRestoreRequest: Codable, Sendable, Equatable {
        public var name: String
        public var target: String?
        public init(name: String, target: String? = nil) {
            self.name = name
            self.target = target
        }
    }
}
