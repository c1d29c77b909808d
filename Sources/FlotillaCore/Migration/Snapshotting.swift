import Foundation

/// What a backend kept for one snapshot (docs/decisions/0028-snapshots.md): where it is and how big.
public struct SnapshotArtifact: Sendable, Codable, Equatable {
    /// The backend's handle: a folder for kvm (disks with their memory state), an image reference for docker.
    public var location: String
    public var sizeBytes: Int64
    /// Whether the snapshot holds the guest's memory (a restored instance resumes where it was) or only its files.
    public var includesMemory: Bool

    public init(location: String, sizeBytes: Int64, includesMemory: Bool) {
        self.location = location
        self.sizeBytes = sizeBytes
        self.includesMemory = includesMemory
    }

    enum CodingKeys: String, CodingKey {
        case location
        case sizeBytes = "size_bytes"
        case includesMemory = "includes_memory"
    }
}

/// A backend that can keep the state of an instance and make new instances from it
/// (docs/decisions/0028-snapshots.md): kvm keeps disks and memory, docker the container's filesystem as an image.
public protocol Snapshotting: ComputeBackend {
    /// Keeps the state of instance `id` (running, paused or stopped) as snapshot `snapshotId`. A running instance
    /// goes on running afterwards (it may pause for the moment the state is written).
    func snapshot(id: String, snapshotId: String) async throws -> SnapshotArtifact
    /// Creates an instance (not started) from a snapshot: its disks (and, with memory, its running state, which the
    /// first start resumes from) come from `artifact`; the rest from `request`, as ``ComputeBackend/create(_:)``.
    func create(_ request: BackendCreateRequest, from artifact: SnapshotArtifact) async throws
    /// Removes what the snapshot kept (idempotent).
    func deleteSnapshot(_ artifact: SnapshotArtifact) async throws
    /// Writes what the snapshot kept as one byte stream, piece by piece, for ``importSnapshot(_:as:from:)`` on
    /// another host (kvm: an archive of its folder).
    func exportSnapshot(_ artifact: SnapshotArtifact, write: ([UInt8]) async throws -> Void) async throws
    /// Keeps a copy of snapshot `snapshotId`, under the local name `localId`, from what
    /// ``exportSnapshot(_:write:)`` wrote on the holding host (`source` hands each piece to the writer it is given);
    /// returns the copy's artifact (removed with ``deleteSnapshot(_:)``). A stream that fails, ends early or does
    /// not hold that snapshot leaves nothing behind.
    func importSnapshot(_ snapshotId: String, as localId: String, from source: SnapshotByteSource) async throws -> SnapshotArtifact
}

/// Pumps an exported snapshot, piece by piece, into the writer it is given (the importing backend's).
public typealias SnapshotByteSource = @Sendable (_ write: @escaping @Sendable ([UInt8]) async throws -> Void) async throws -> Void
