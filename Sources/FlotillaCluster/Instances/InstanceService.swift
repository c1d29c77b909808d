import FlotillaCore
import Foundation
import Logging

/// The command side of the instance lifecycle, shared by every surface: each change is one store
/// transaction guarded by compares, checked against the lifecycle state machine.
public final class InstanceService: Sendable {
    let store: any ClusterStore
    public let registry: RegistryCache
    let identity: HostIdentity
    let timings: ClusterTimings
    let clock: WallClock
    let backends: BackendSet
    let logger: Logger

    public init(
        store: any ClusterStore, registry: RegistryCache, identity: HostIdentity, timings: ClusterTimings = ClusterTimings(),
        clock: WallClock = .system, backends: BackendSet,
        logger: Logger = Logger(label: "flotilla.instances")
    ) {
        self.store = store
        self.registry = registry
        self.identity = identity
        self.timings = timings
        self.clock = clock
        self.backends = backends
        self.logger = logger
    }

    // MARK: Reads

    /// A live instance by id.
    public func instance(id: String) throws(FlotillaError) -> Instance {
        try record(id: id).value
    }

    /// A live instance by id, with the revision it was last written at.
    public func record(id: String) throws(FlotillaError) -> Versioned<Instance> {
        guard let v = registry.read({ $0.instances[id.lowercased()] }), v.value.isLive else { throw .instanceNotFound(id) }
        return v
    }

    /// A live instance by name.
    public func instance(named name: String) throws(FlotillaError) -> Instance {
        guard let i = registry.read({ $0.liveInstance(named: name) }) else {
            throw FlotillaError(.instanceNotFound, "Instance named \(name) not found", details: ["name": .string(name)])
        }
        return i
    }

    /// Live usage from the backend that runs the instance.
    public func usage(id: String) async throws(FlotillaError) -> InstanceUsage {
        try await withLocalBackend(id: id, action: "usage") { backend, id in try await backend.usage(id: id) }
    }

    /// Calls the backend that runs the instance on this host. INVALID_STATE before placement;
    /// BACKEND_UNAVAILABLE when it runs on another host or this host lacks its backend.
    func withLocalBackend<T: Sendable>(
        id: String, action: String, _ body: (any ComputeBackend, String) async throws -> T
    ) async throws(FlotillaError) -> T {
        let instance = try instance(id: id)
        guard let worker = instance.workerId, instance.state != .pending else {
            throw .invalidState(
                "Instance \(instance.id) is not placed on a host yet", instanceId: instance.id,
                currentState: instance.state, action: action)
        }
        guard worker == identity.hostId else {
            throw FlotillaError(
                .backendUnavailable, "Instance \(instance.id) runs on host \(worker); ask that host",
                details: ["workerId": .string(worker)])
        }
        guard let backend = backends[instance.backend] else {
            throw BackendError.unavailable("not configured on this host").flotillaError(backend: instance.backend)
        }
        do {
            return try await body(backend, instance.id)
        } catch let e as BackendError {
            throw e.flotillaError(backend: instance.backend)
        } catch {
            throw FlotillaError(.backendError, "\(action) failed", cause: "\(error)")
        }
    }

    // MARK: Create

    /// Validates and records a new instance (state `pending`); the leader places it.
    public func create(_ request: CreateInstance, idempotency: IdempotencyToken? = nil) async throws(FlotillaError) -> Written {
        try InstanceValidation.validateName(request.name)
        try InstanceValidation.validateResources(request.spec.resources)
        try InstanceValidation.validateSpecText(request.spec)
        let kind = try InstanceValidation.kind(requested: request.kind, backend: request.backend)
        try InstanceValidation.validateConfig(request.spec.config, backend: request.backend)
        guard !request.spec.config.image.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw .validation("config.image is required", field: "config.image")
        }
        var spec = request.spec
        if spec.restartPolicy == nil, let raw = spec.config.restartPolicy { spec.restartPolicy = try RestartPolicy.parse(raw) }
        try spec.restartPolicy?.validate()
        if let idempotency, let earlier = try await replay(idempotency) { return earlier }
        try checkPlaceable(request)
        let snapshot = registry.snapshot
        try Self.checkImageReferences(spec.config, images: snapshot.images)

        let id = UUID().uuidString.lowercased()
        let now = clock.now
        var instance = Instance(id: id, name: request.name, kind: kind, backend: request.backend, spec: spec, createdAt: now)
        instance.desired = request.desired
        instance.restoredFrom = request.restoredFrom
        let instanceKey = StoreKeys.instance(id)
        let nameKey = StoreKeys.name(request.name)
        // Addresses (docs/decisions/0025-vm-networks.md): each attempt compares its chosen address keys absent; a
        // lost race reads the networks' keys from the store and chooses again. Only the networks asked for are read.
        var taken = snapshot.instances.addressesInUse(on: Set((spec.config.networks ?? []).map(\.network)))
        for attempt in 0..<Self.addressAttempts {
            let interfaces = try allocateAddresses(
                spec.config.networks ?? [], networks: snapshot.networks, taken: taken, attempt: attempt)
            if !interfaces.isEmpty { instance.spec.config.networks = interfaces }
            var compares = [Compare.absent(nameKey)]
            var then: [TxnOp] = [.put(nameKey, Data(id.utf8)), .put(instanceKey, try encode(instance))]
            for key in InstanceTransitions.addressKeys(of: instance) {
                compares.append(.absent(key))
                then.append(.put(key, Data(id.utf8)))
            }
            if let idempotency {
                let key = StoreKeys.idempotency(idempotency.keyDigest)
                compares.append(.absent(key))
                then.append(
                    .put(key, try encode(IdempotencyRecord(requestDigest: idempotency.requestDigest, instanceId: id, createdAt: now))))
            }
            let result = try await txn(compares, then: then)
            if result.succeeded {
                var metadata: Logger.Metadata = ["id": "\(id)", "name": "\(request.name)", "backend": "\(request.backend)"]
                if !interfaces.isEmpty {
                    metadata["addresses"] = "\(interfaces.map { "\($0.network)/\($0.address?.description ?? "-")" })"
                }
                logger.info("instance created", metadata: metadata)
                return await visible(Written(instance: instance, revision: result.revision))
            }
            if let idempotency, let earlier = try await replay(idempotency) { return earlier }
            var nameTaken = interfaces.isEmpty
            if !nameTaken { nameTaken = try await nameHeld(nameKey) }
            if nameTaken {
                throw FlotillaError(
                    .nameConflict, "An instance named \(request.name) already exists", details: ["name": .string(request.name)])
            }
            taken = try await storedAddresses(on: interfaces.map(\.network), adding: taken)
        }
        let networks = (spec.config.networks ?? []).map(\.network).joined(separator: ", ")
        throw FlotillaError(
            .nameConflict,
            "No address on network \(networks) could be claimed after \(Self.addressAttempts) attempts: other creates took them first; try again",
            details: ["network": .string(networks)])
    }

    private func replay(_ token: IdempotencyToken) async throws(FlotillaError) -> Written? {
        let kv: KeyValue?
        do { kv = try await store.get(StoreKeys.idempotency(token.keyDigest)) } catch { throw storeError(error) }
        guard let kv else { return nil }
        guard let record = try? StoreCodec.decode(IdempotencyRecord.self, from: kv.value) else { return nil }
        guard record.requestDigest == token.requestDigest else {
            throw .validation("Idempotency-Key was already used with a different request", field: "Idempotency-Key")
        }
        let revision = max(kv.modRevision, registry.revision)
        await registry.catchUp(to: kv.modRevision)
        guard let instance = registry.read({ $0.instances[record.instanceId]?.value }) else { return nil }
        return Written(instance: instance, revision: revision, replayed: true)
    }

    /// Refuses at once what no worker could ever run.
    private func checkPlaceable(_ request: CreateInstance) throws(FlotillaError) {
        let state = registry.snapshot
        let probe = PlacementRequest(
            instanceId: "", backend: request.backend, resources: request.spec.resources,
            constraints: request.spec.placement)
        // A fleet with room: the first worker that would take the instance ends the check. Otherwise the full
        // pass below says why not (a worker that fits offers the backend, up, so the order of the errors holds).
        if Scheduler.anyFits(probe, state.lazySchedulableWorkers(now: clock.now, healthWindow: timings.healthWindow)) { return }
        guard state.availableBackends.contains(request.backend) else {
            throw FlotillaError(
                .backendUnavailable, "\(request.backend.rawValue) backend is not available on any host",
                details: ["backend": .string(request.backend.rawValue)])
        }
        let workers = state.schedulableWorkers(now: clock.now, healthWindow: timings.healthWindow)
        if case .unplaceable(let reason) = Scheduler.decide(probe, workers) {
            throw FlotillaError(
                .resourceLimitExceeded, "No worker can run this instance: \(reason)",
                details: ["reason": .string(reason)])
        }
    }

    // MARK: Actions

    /// Checks `action` against the instance's state and records it; the owning host carries it out.
    public func perform(_ action: LifecycleAction, id: String, options: ActionOptions = ActionOptions())
        async throws(FlotillaError) -> Written
    {
        let now = clock.now
        return try await mutate(id: id) { instance throws(FlotillaError) in
            instance = try InstanceTransitions.accept(action, options: options, on: instance, now: now)
        }
    }

    /// Changes resources and labels. Returns whether the change applies to the running instance now.
    public func update(id: String, resources: Resources?, labels: [String: String]?) async throws(FlotillaError)
        -> (Written, live: Bool)
    {
        if let resources { try InstanceValidation.validateResources(resources) }
        if let labels { try InstanceValidation.validateLabels(labels) }
        let snapshot = registry.snapshot
        let written = try await mutate(id: id) { instance throws(FlotillaError) in
            if let resources, resources != instance.spec.resources {
                try self.checkFits(resources, replacing: instance, in: snapshot)
                instance.spec.resources = resources
                instance.generation += 1
            }
            if let labels { instance.spec.labels = labels }
        }
        let live = written.instance.state == .running && written.instance.backend.canResizeLive
        return (written, live)
    }

    private func checkFits(_ resources: Resources, replacing instance: Instance, in state: RegistryState) throws(FlotillaError) {
        guard let workerId = instance.workerId,
            var worker = state.schedulableWorkers(now: clock.now, healthWindow: timings.healthWindow)
                .first(where: { $0.id == workerId })
        else { return }
        worker.allocated.cpuCores -= instance.spec.resources.cpuCores
        worker.allocated.memoryMB -= instance.spec.resources.memoryMB
        worker.allocated.diskGB -= instance.spec.resources.storageGB
        worker.allocated.instances -= 1
        guard worker.fits(resources) else {
            throw FlotillaError(
                .resourceLimitExceeded, "Worker \(workerId) has no room for the new resources",
                details: ["workerId": .string(workerId)])
        }
    }

    // MARK: Waiting

    /// Waits until the registry applied `written` and the instance settled (reached what was asked, or
    /// `error`), or `timeout` passed. Returns the latest instance and whether it settled.
    public func settle(_ written: Written, timeout: Duration) async -> (Instance, settled: Bool) {
        let id = written.instance.id
        let revision = written.revision
        let state = await registry.wait(timeout: timeout) { s in
            guard s.revision >= revision, let i = s.instances[id]?.value else { return false }
            return i.hasSettled
        }
        if let i = state?.instances[id]?.value { return (i, true) }
        let latest = registry.read { $0.instances[id]?.value } ?? written.instance
        return (latest, false)
    }

    // MARK: Store helpers

    /// `written`, once this host's registry shows it: every write of the service answers through here, so that
    /// whoever asked reads it next (``RegistryCache/catchUp(to:)``).
    func visible(_ written: Written) async -> Written {
        await registry.catchUp(to: written.revision)
        return written
    }

    /// Reads the instance from the store, applies `body`, and writes it back with one compare-and-swap
    /// (``ClusterStore/update(_:attempts:_:)``), the name released when it stops being live.
    func mutate(id rawId: String, _ body: (inout Instance) throws(FlotillaError) -> Void) async throws(FlotillaError) -> Written {
        let key = StoreKeys.instance(rawId.lowercased())
        let now = clock.now
        var written: Instance?
        do {
            let outcome = try await store.update(key) { kv -> StoreChange? in
                guard let kv, let old = try? StoreCodec.decode(Instance.self, from: kv.value), old.isLive else {
                    throw FlotillaError.instanceNotFound(rawId)
                }
                var new = old
                try body(&new)
                new.updatedAt = now
                written = new
                return StoreChange(ops: try InstanceTransitions.writeOps(old: old, new: new))
            }
            guard case .written(let revision) = outcome, let written else { throw FlotillaError.instanceNotFound(rawId) }
            return await visible(Written(instance: written, revision: revision))
        } catch {
            throw storeError(error)
        }
    }

    /// The stored record of a live instance, with the revision to compare a write against.
    func readLive(_ key: String, id rawId: String) async throws(FlotillaError) -> (KeyValue, Instance) {
        let kv: KeyValue?
        do { kv = try await store.get(key) } catch { throw storeError(error) }
        guard let kv, let instance = try? StoreCodec.decode(Instance.self, from: kv.value), instance.isLive else {
            throw .instanceNotFound(rawId)
        }
        return (kv, instance)
    }

    func txn(_ compares: [Compare], then: [TxnOp]) async throws(FlotillaError) -> TxnResult {
        do { return try await store.txn(compares, then: then, otherwise: []) } catch { throw storeError(error) }
    }

    func encode<T: Encodable>(_ value: T) throws(FlotillaError) -> Data {
        do { return try StoreCodec.encode(value) } catch {
            throw FlotillaError(.internalError, "could not encode a record", cause: "\(error)")
        }
    }

    func storeError(_ error: any Error) -> FlotillaError {
        if let e = error as? FlotillaError { return e }
        return FlotillaError(.storeUnavailable, "The cluster store is not available", cause: "\(error)")
    }
}
