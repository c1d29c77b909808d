import FlotillaCore
import Foundation
import Synchronization

/// Simulated snapshots (docs/decisions/0028-snapshots.md): nothing is kept; the artifact says so in its location
/// (`sim://simulated/<id>`), holds no memory and no bytes, and an instance made from it is a new simulated
/// instance. The instance's log records the snapshot.
extension SimBackend: Snapshotting {
    public func snapshot(id: String, snapshotId: String) async throws -> SnapshotArtifact {
        if let reason = unavailableReason { throw BackendError.unavailable(reason) }
        let instance = try existing(id)
        instances[id]?.record("\(instance.name): snapshot \(snapshotId) taken (simulated: nothing is kept)")
        return SnapshotArtifact(location: Self.snapshotPrefix + snapshotId, sizeBytes: 0, includesMemory: false)
    }

    public func create(_ request: BackendCreateRequest, from artifact: SnapshotArtifact) async throws {
        guard artifact.location.hasPrefix(Self.snapshotPrefix) else {
            throw BackendError.invalidRequest("\(artifact.location) is not a simulated snapshot")
        }
        try await create(request)
        instances[request.id]?.record("\(request.name): made from snapshot \(artifact.location) (simulated)")
    }

    public func deleteSnapshot(_ artifact: SnapshotArtifact) async throws {
        if let reason = unavailableReason { throw BackendError.unavailable(reason) }
    }

    /// A simulated snapshot's export: one line naming it (what crosses between hosts is real; what it holds is not).
    public nonisolated func exportSnapshot(_ artifact: SnapshotArtifact, write: ([UInt8]) async throws -> Void) async throws {
        guard artifact.location.hasPrefix(Self.snapshotPrefix) else {
            throw BackendError.invalidRequest("\(artifact.location) is not a simulated snapshot")
        }
        if let reason = await unavailableReason { throw BackendError.unavailable(reason) }
        let id = artifact.location.dropFirst(Self.snapshotPrefix.count)
        try await write(Array("\(Self.exportHeader) \(id)\n".utf8))
    }

    /// Reads a simulated snapshot's export and checks it names `snapshotId`; the copy is `sim://simulated/<localId>`.
    public func importSnapshot(_ snapshotId: String, as localId: String, from source: SnapshotByteSource) async throws
        -> SnapshotArtifact
    {
        if let reason = unavailableReason { throw BackendError.unavailable(reason) }
        let received = ReceivedBytes()
        try await source { piece in try received.append(piece) }
        let text = String(decoding: received.bytes, as: UTF8.self)
        guard text == "\(Self.exportHeader) \(snapshotId)\n" else {
            throw BackendError.failed("the export does not hold simulated snapshot \(snapshotId)")
        }
        return SnapshotArtifact(location: Self.snapshotPrefix + localId, sizeBytes: 0, includesMemory: false)
    }

    static let exportHeader = "FLOTILLA-SIM-SNAPSHOT-1"

    /// The location of every simulated snapshot starts with this.
    static let snapshotPrefix = "sim://simulated/"
}

/// What a simulated import received (a simulated export is one short line: more is refused).
private final class ReceivedBytes: Sendable {
    private let box = Mutex<[UInt8]>([])
    func append(_ piece: [UInt8]) throws {
        try box.withLock { bytes in
            guard bytes.count + piece.count <= 4096 else { throw BackendError.failed("a simulated snapshot's export is too long") }
            bytes += piece
        }
    }
    var bytes: [UInt8] { box.withLock { $0 } }
}
