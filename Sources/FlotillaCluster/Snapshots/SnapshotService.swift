import FlotillaCore
import Foundation
import Logging

/// Snapshots of instances (docs/decisions/0028-snapshots.md): taken and deleted on the host whose backend keeps
/// them, listed from the registry by any host, and made into new instances that the leader places on the holding
/// host. Each record is one guarded store write; a write returns once this host's registry applied it.
public struct SnapshotService: Sendable {
    let store: any ClusterStore
    let registry: RegistryCache
    let identity: HostIdentity
    let clock: WallClock
    let backends: BackendSet
    let instances: InstanceService
    let logger: Logger

    public init(
        store: any ClusterStore, registry: RegistryCache, identity: HostIdentity, clock: WallClock = .system, backends: BackendSet,
        instances: InstanceService, logger: Logger = Logger(label: "flotilla.snapshots")
    ) {
        self.store = store
        self.registry = registry
        self.identity = identity
        self.clock = clock
        self.backends = backends
        self.instances = instances
        self.logger = logger
    }

    // MARK: Reads

    /// Every snapshot, oldest first; only those of instance `instanceId` when given.
    public func list(instanceId: String? = nil) -> [Snapshot] {
        let id = instanceId?.lowercased()
        return registry.read { s in
            s.snapshots.values.filter { id == nil || $0.instanceId == id }.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        }
    }

    public func snapshot(id: String) throws(FlotillaError) -> Snapshot {
        guard let snapshot = registry.read({ $0.snapshots[id.uppercased()] }) else { throw Self.notFound(id) }
        return snapshot
    }

    /// Snapshot `id` and its backend, for an export to another host (``localBackend(of:)``).
    public func exportable(id: String) throws(FlotillaError) -> (Snapshot, any Snapshotting) {
        let snapshot = try snapshot(id: id)
        return (snapshot, try localBackend(of: snapshot))
    }

    /// The backend that keeps `snapshot` on this host: BACKEND_UNAVAILABLE naming the holder when another host
    /// keeps it, or when its backend is not configured here.
    private func localBackend(of snapshot: Snapshot) throws(FlotillaError) -> any Snapshotting {
        guard snapshot.hostId == identity.hostId else {
            throw FlotillaError(
                .backendUnavailable, "Snapshot \(snapshot.id) is kept by host \(snapshot.hostId); ask that host",
                details: ["workerId": .string(snapshot.hostId)])
        }
        guard let backend = backends[snapshot.backend].flatMap(SnapshotRestore.snapshotting) else {
            throw BackendError.unavailable("not configured on this host").flotillaError(backend: snapshot.backend)
        }
        return backend
    }

    // MARK: Writes

    /// Takes a snapshot of instance `instanceId`, which must run on this host (the surfaces forward the call to the
    /// owner). OPERATION_NOT_SUPPORTED when its backend keeps no snapshots. The record is written only after the
    /// backend kept the snapshot; when the write fails, what the backend kept is removed again.
    public func take(instanceId: String, name: String?) async throws(FlotillaError) -> Snapshot {
        let instance = try instances.instance(id: instanceId)
        let id = ULID(date: clock.now).description
        let snapshotName = try SnapshotRules.name(requested: name, instanceName: instance.name, snapshotId: id)
        if let backend = backends[instance.backend], SnapshotRestore.snapshotting(backend) == nil {
            throw BackendError.unsupported("snapshot").flotillaError(backend: instance.backend)
        }
        let artifact = try await instances.withLocalBackend(id: instance.id, action: "snapshot") { backend, instanceId in
            guard let snapshotting = SnapshotRestore.snapshotting(backend) else { throw BackendError.unsupported("snapshot") }
            return try await snapshotting.snapshot(id: instanceId, snapshotId: id)
        }
        let snapshot = Snapshot(
            id: id, name: snapshotName, instanceId: instance.id, instanceName: instance.name, kind: instance.kind,
            backend: instance.backend, hostId: identity.hostId, spec: instance.spec, artifact: artifact, createdAt: clock.now)
        let key = StoreKeys.snapshot(id)
        let stored: Bool
        do throws(FlotillaError) {
            stored = try await write([.absent(key)], [.put(key, try encode(snapshot))])
        } catch {
            await discard(artifact, backend: instance.backend, id: id)
            throw error
        }
        guard stored else {
            await discard(artifact, backend: instance.backend, id: id)
            throw FlotillaError(.nameConflict, "A snapshot with id \(id) already exists", details: ["id": .string(id)])
        }
        logger.info(
            "snapshot taken",
            metadata: [
                "id": "\(id)", "instance": "\(instance.id)", "bytes": "\(artifact.sizeBytes)", "memory": "\(artifact.includesMemory)",
            ])
        return snapshot
    }

    /// Deletes a snapshot kept on this host (the surfaces forward the call to the holder): the backend's files
    /// first, then the record. Instances made from it keep running.
    public func delete(id rawId: String) async throws(FlotillaError) -> Snapshot {
        let key = StoreKeys.snapshot(rawId.uppercased())
        let kv: KeyValue?
        do { kv = try await store.get(key) } catch { throw Self.storeError(error) }
        guard let kv, let snapshot = try? StoreCodec.decode(Snapshot.self, from: kv.value) else { throw Self.notFound(rawId) }
        let backend = try localBackend(of: snapshot)
        do {
            try await backend.deleteSnapshot(snapshot.artifact)
        } catch let e as BackendError {
            throw e.flotillaError(backend: snapshot.backend)
        } catch {
            throw FlotillaError(.backendError, "deleting snapshot \(snapshot.id) failed", cause: "\(error)")
        }
        guard try await write([.unchanged(key, since: kv.modRevision)], [.delete(key: key)]) else {
            throw FlotillaError(.storeUnavailable, "The snapshot \(snapshot.id) changed while being deleted; try again")
        }
        logger.info("snapshot deleted", metadata: ["id": "\(snapshot.id)"])
        return snapshot
    }

    /// Records a new instance named `name` made from snapshot `id` (state `pending`): the snapshot's spec, pinned
    /// to `target` when given (a registered worker: NOT_FOUND otherwise), else to the holding host
    /// (``SnapshotRules/restoredSpec(_:target:)``). That host's agent creates it from the snapshot, fetching the
    /// snapshot's files from the holder first when it is another host (``SnapshotPeers``).
    public func restore(
        id: String, name: String, target: String? = nil, idempotency: IdempotencyToken? = nil
    ) async throws(FlotillaError) -> Written {
        try InstanceValidation.validateName(name)
        let snapshot = try snapshot(id: id)
        if let target, registry.read({ $0.workers[target] }) == nil {
            throw FlotillaError(.notFound, "Worker not found: \(target)", details: ["workerId": .string(target)])
        }
        if let problem = SnapshotRules.targetProblem(snapshot, target: target) {
            throw FlotillaError(.operationNotSupported, problem, details: ["workerId": .string(target ?? ""), "id": .string(snapshot.id)])
        }
        var request = CreateInstance(
            name: name, kind: snapshot.kind, backend: snapshot.backend, spec: SnapshotRules.restoredSpec(snapshot, target: target))
        request.restoredFrom = snapshot.id
        let written = try await instances.create(request, idempotency: idempotency)
        logger.info(
            "instance made from a snapshot",
            metadata: ["snapshot": "\(snapshot.id)", "id": "\(written.instance.id)", "host": "\(target ?? snapshot.hostId)"])
        return written
    }

    // MARK: Helpers

    static func notFound(_ id: String) -> FlotillaError {
        FlotillaError(
            .resourceNotFound, "Snapshot \(id) not found", details: ["resource_type": "Snapshot", "resource_id": .string(id)])
    }

    /// Removes what the backend kept for a snapshot whose record could not be written (logged when that fails too).
    private func discard(_ artifact: SnapshotArtifact, backend kind: BackendKind, id: String) async {
        guard let backend = backends[kind].flatMap(SnapshotRestore.snapshotting) else { return }
        do {
            try await backend.deleteSnapshot(artifact)
        } catch {
            logger.warning("could not remove an unrecorded snapshot", metadata: ["id": "\(id)", "error": "\(error)"])
        }
    }

    /// Runs one guarded transaction; true when it ran, after the registry applied it.
    private func write(_ compares: [Compare], _ then: [TxnOp]) async throws(FlotillaError) -> Bool {
        let result: TxnResult
        do { result = try await store.txn(compares, then: then, otherwise: []) } catch { throw Self.storeError(error) }
        guard result.succeeded else { return false }
        await registry.catchUp(to: result.revision)
        return true
    }

    private func encode(_ snapshot: Snapshot) throws(FlotillaError) -> Data {
        do { return try StoreCodec.encode(snapshot) } catch {
            throw FlotillaError(.internalError, "could not encode a snapshot record", cause: "\(error)")
        }
    }

    private static func storeError(_ error: any Error) -> FlotillaError {
        if let e = error as? FlotillaError { return e }
        return FlotillaError(.storeUnavailable, "The cluster store is not available", cause: "\(error)")
    }
}
