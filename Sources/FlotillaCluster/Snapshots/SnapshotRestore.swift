import FlotillaCore

/// How the agent creates an instance: from its spec, or, for one made from a snapshot (``Instance/restoredFrom``),
/// with ``Snapshotting/create(_:from:)`` and the snapshot's artifact (docs/decisions/0028-snapshots.md).
enum SnapshotRestore {
    /// Creates `instance` on `backend`. A snapshot that no longer exists, or a backend that keeps none, is a failed
    /// step with the reason (``BackendError/invalidRequest(_:)``).
    static func create(_ instance: Instance, _ state: RegistryState, on backend: any ComputeBackend) async throws {
        let request = try Agent.createRequest(instance, state)
        guard let snapshotId = instance.restoredFrom else { return try await backend.create(request) }
        let snapshot = state.snapshots[snapshotId]
        if let problem = SnapshotRules.restoreProblem(instance, snapshot: snapshot) { throw BackendError.invalidRequest(problem) }
        guard let snapshot, let snapshotting = snapshotting(backend) else {
            throw BackendError.invalidRequest("the \(instance.backend.rawValue) backend cannot make instances from snapshots")
        }
        try await snapshotting.create(request, from: snapshot.artifact)
    }

    /// The backend as ``Snapshotting``, seen through the host's metrics wrapper; nil when it keeps no snapshots.
    static func snapshotting(_ backend: any ComputeBackend) -> (any Snapshotting)? {
        if let snapshotting = backend as? any Snapshotting { return snapshotting }
        if let instrumented = backend as? InstrumentedBackend { return instrumented.base as? any Snapshotting }
        return nil
    }
}
