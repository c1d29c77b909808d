import FlotillaCore
import Logging

/// How the agent creates an instance: from its spec, or, for one made from a snapshot (``Instance/restoredFrom``),
/// with ``Snapshotting/create(_:from:)`` and the snapshot's artifact (docs/decisions/0028-snapshots.md). A snapshot
/// another host keeps is copied here first (``SnapshotPeers``) under a name of this instance's, and that copy is
/// removed once the instance holds its own files.
enum SnapshotRestore {
    /// How long copying a snapshot from its holder may take.
    static let fetchTimeout = Duration.seconds(1800)

    /// Creates `instance` on `backend`. A snapshot that no longer exists, or a backend that keeps none, is a failed
    /// step with the reason (``BackendError/invalidRequest(_:)``); so is a holder that cannot be read from.
    static func create(
        _ instance: Instance, _ state: RegistryState, on backend: any ComputeBackend, hostId: String, peers: (any SnapshotPeers)?,
        logger: Logger
    ) async throws {
        let request = try Agent.createRequest(instance, state)
        guard let snapshotId = instance.restoredFrom else { return try await backend.create(request) }
        let snapshot = state.snapshots[snapshotId]
        if let problem = SnapshotRules.restoreProblem(instance, snapshot: snapshot) { throw BackendError.invalidRequest(problem) }
        guard let snapshot, let snapshotting = snapshotting(backend) else {
            throw BackendError.invalidRequest("the \(instance.backend.rawValue) backend cannot make instances from snapshots")
        }
        guard snapshot.hostId != hostId else { return try await snapshotting.create(request, from: snapshot.artifact) }
        guard let peers, let holder = state.workers[snapshot.hostId]?.value else {
            throw BackendError.failed("snapshot \(snapshot.id) is kept by host \(snapshot.hostId), which is not registered")
        }
        let copy = try await snapshotting.importSnapshot(snapshot.id, as: localName(snapshot, instance)) { write in
            do {
                try await peers.export(snapshot, from: holder, timeout: fetchTimeout, into: write)
            } catch let e as BackendError {
                throw e
            } catch {
                throw BackendError.failed("cannot copy snapshot \(snapshot.id) from host \(holder.id): \(error)")
            }
        }
        logger.info(
            "snapshot copied from its holder", metadata: ["snapshot": "\(snapshot.id)", "from": "\(holder.id)", "id": "\(instance.id)"])
        do {
            try await snapshotting.create(request, from: copy)
        } catch {
            await discard(copy, of: snapshot, on: snapshotting, logger: logger)
            throw error
        }
        await discard(copy, of: snapshot, on: snapshotting, logger: logger)
    }

    /// Removes this host's copy of a snapshot (the instance made from it holds its own files); logged when it fails.
    private static func discard(_ copy: SnapshotArtifact, of snapshot: Snapshot, on backend: any Snapshotting, logger: Logger) async {
        do { try await backend.deleteSnapshot(copy) } catch {
            logger.warning("could not remove the copy of a snapshot", metadata: ["snapshot": "\(snapshot.id)", "error": "\(error)"])
        }
    }

    /// The name of this host's copy of `snapshot` for `instance` (two instances made from one snapshot at once
    /// each have their own): `<snapshot id>-<instance id>`, 63 characters.
    static func localName(_ snapshot: Snapshot, _ instance: Instance) -> String { "\(snapshot.id)-\(instance.id)" }

    /// The backend as ``Snapshotting``, seen through the host's metrics wrapper; nil when it keeps no snapshots.
    static func snapshotting(_ backend: any ComputeBackend) -> (any Snapshotting)? {
        if let snapshotting = backend as? any Snapshotting { return snapshotting }
        if let instrumented = backend as? InstrumentedBackend { return instrumented.base as? any Snapshotting }
        return nil
    }
}
