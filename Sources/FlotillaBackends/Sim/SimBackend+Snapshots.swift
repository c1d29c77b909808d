import FlotillaCore
import Foundation

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

    /// The location of every simulated snapshot starts with this.
    static let snapshotPrefix = "sim://simulated/"
}
