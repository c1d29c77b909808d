import FlotillaCore
import Foundation
import Logging
import Synchronization

extension Agent {
    /// The deadline of one look at the backend (`inspect`).
    static let inspectDeadline = Duration.seconds(10)

    /// One reconcile round for one instance: look at the backend, let the pure ``Reconciler`` decide, carry out
    /// its steps and record its report. Returns when to look again without being asked (a restart backing off).
    func reconcile(_ id: String) async -> Date? {
        // Cut off from the store (or fenced): the registry may be stale, so nothing is started or reported.
        guard mayAct else { return nil }
        guard let versioned = registry.read({ $0.instances[id] }), versioned.value.workerId == identity.hostId,
            versioned.value.isLive
        else { return nil }
        // A live migration of it is under way here: its steps are the migration's, not the reconciler's.
        if isHandsOff(versioned.value) { return nil }
        // The registry has not applied this agent's last report yet: acting on the older state would repeat
        // an action that already ran (e.g. stop again after a failed stop). The report's update comes next.
        if let reported = reportedRevisions.withLock({ $0[id] }), versioned.modRevision < reported { return nil }
        let instance = versioned.value
        await activateMovedHere(instance)
        guard let backend = backends[instance.backend] else {
            await report(
                Report(state: .error, description: "backend \(instance.backend.rawValue) is not available on host \(identity.hostId)"),
                actedOn: instance)
            return nil
        }
        var observation = await observe(instance, backend)
        if let reason = fenceReason(instance, observation) { observation = observation.fenced(reason: reason) }
        for _ in 0..<2 {
            let plan = await decide(instance, observation)
            do {
                for step in plan.steps { try await execute(step, instance, backend) }
            } catch BackendError.notFound where observation != .absent {
                // Gone between the look and the step: decide again on what is true now.
                observation = .absent
                continue
            } catch is CancellationError {
                return nil
            } catch {
                let failure = stepFailure(error, backend: instance.backend)
                var availability = health.availability(instance.backend)
                if case .failed = failure {
                    availability = await confirmedAvailability(instance.backend)
                    // One line per backend and window, whatever the instance: an outage or a broken image
                    // repeats across many instances. (An unreachable backend is logged once by BackendHealth.)
                    calmLog.warning(
                        "backend action failed", kind: "\(instance.backend)",
                        metadata: ["id": "\(id)", "state": "\(instance.state)", "error": "\(error)"])
                }
                let report = reconciler.failure(instance, failure, now: clock.now, backend: availability)
                await self.report(report, actedOn: instance)
                return nil
            }
            if let report = plan.report { await self.report(report, actedOn: instance) }
            return plan.wakeAt
        }
        return nil
    }

    /// The reconciler's plan for `instance` given `observation`. A plan that records an exit or an error while the
    /// backend is taken to be up is made again after one more look at the backend's health: a daemon that is going
    /// away (dockerd on SIGTERM) stops its containers while it still answers on connections already open, and that
    /// exit is then recorded as the outage's (docs/decisions/0011-lifecycle-core-and-restart-policies.md).
    private func decide(_ instance: Instance, _ observation: Observation) async -> ReconcilePlan {
        let now = clock.now
        let plan = reconciler.plan(instance, observation, now: now, backend: health.availability(instance.backend))
        guard plan.steps.isEmpty, instance.state.isSettled, let state = plan.report?.state, state == .stopped || state == .error,
            health.reason(instance.backend) == nil
        else { return plan }
        let availability = await confirmedAvailability(instance.backend)
        return reconciler.plan(instance, observation, now: now, backend: availability)
    }

    /// What is known of `kind` after one more look when it is taken to be up (see ``decide(_:_:)``).
    private func confirmedAvailability(_ kind: BackendKind) async -> BackendAvailability {
        if health.reason(kind) == nil { await health.check(kind) }
        return health.availability(kind)
    }

    /// What the backend holds for `instance`; a backend known to be down is not asked.
    private func observe(_ instance: Instance, _ backend: any ComputeBackend) async -> Observation {
        if let reason = health.reason(instance.backend) { return .unavailable(reason) }
        let id = instance.id
        do {
            return .present(try await withDeadline(Self.inspectDeadline) { try await backend.inspect(id: id) })
        } catch BackendError.notFound {
            return .absent
        } catch BackendError.unavailable(let reason) {
            health.set(instance.backend, unavailable: reason)
            return .unavailable(reason)
        } catch is DeadlineExceeded {
            return .unavailable("inspect did not answer within \(Self.inspectDeadline)")
        } catch {
            return .unavailable("inspect failed: \(error)")
        }
    }

    private func stepFailure(_ error: any Error, backend: BackendKind) -> StepFailure {
        switch error {
        case BackendError.unavailable(let reason):
            health.set(backend, unavailable: reason)
            return .unavailable(reason)
        case let e as BackendError: return .failed(e.description)
        default: return .failed("\(error)")
        }
    }

    /// Carries out one step the reconciler decided.
    private func execute(_ step: BackendStep, _ instance: Instance, _ backend: any ComputeBackend) async throws {
        // The fence may have come up since the round began: its steps are not carried out.
        guard mayAct else { throw CancellationError() }
        let id = instance.id
        switch step {
        case .create:
            try await SnapshotRestore.create(
                instance, registry.snapshot, on: backend, hostId: identity.hostId, peers: snapshotPeers, logger: logger)
        case .start: try await backend.start(id: id)
        case .applyResources, .resizeLive: _ = try await backend.update(id: id, resources: instance.spec.resources)
        case .stop(let force, let timeout): try await backend.stop(id: id, force: force, timeout: .seconds(timeout))
        case .restart(let hard, let timeout): try await backend.restart(id: id, hard: hard, timeout: .seconds(timeout))
        case .pause: try await backend.pause(id: id)
        case .resume: try await backend.resume(id: id)
        case .delete(let force): try await backend.delete(id: id, force: force)
        }
    }

    /// What the backend needs to create `instance`: the artifacts its catalog references resolve to (its image,
    /// initrd and root images), its disks' catalog images and the networks its interfaces are on. A reference that
    /// no longer resolves is a failed step with the reason (``BackendError/invalidRequest(_:)``), never a crash.
    public static func createRequest(_ instance: Instance, _ state: RegistryState) throws(BackendError) -> BackendCreateRequest {
        let config = instance.spec.config
        let artifacts: ImageArtifacts?
        let disks: [String: DiskImage]
        do {
            artifacts = try ImageArtifacts.resolve(config, images: state.images)
            disks = try ImageArtifacts.diskImages(config, images: state.images)
        } catch {
            throw .invalidRequest(error.description)
        }
        var networks: [String: NetworkDefinition] = [:]
        for interface in config.networks ?? [] {
            guard let network = state.networks[interface.network] else {
                throw .invalidRequest("network \(interface.network) is not defined in the cluster")
            }
            networks[network.name] = network
        }
        return BackendCreateRequest(
            id: instance.id, name: instance.name, kind: instance.kind, spec: instance.spec, artifacts: artifacts,
            networks: networks, diskImages: disks)
    }

    /// Records `report` about `seen` with one compare-and-swap, unless the instance changed meanwhile in a way
    /// that makes it stale (``InstanceTransitions/record(_:on:actedOn:now:)`` decides).
    func report(_ report: Report, actedOn seen: Instance) async {
        let key = StoreKeys.instance(seen.id)
        let now = clock.now
        do {
            let outcome = try await store.update(key) { kv -> StoreChange? in
                guard let kv, let current = try? StoreCodec.decode(Instance.self, from: kv.value),
                    let new = InstanceTransitions.record(report, on: current, actedOn: seen, now: now)
                else { return nil }
                return StoreChange(ops: try InstanceTransitions.writeOps(old: current, new: new))
            }
            if case .written(let revision) = outcome {
                reportedRevisions.withLock { $0[seen.id] = revision }
                logger.debug("instance state reported", metadata: ["id": "\(seen.id)", "state": "\(report.state)"])
            }
        } catch {
            calmLog.warning(
                "could not record an instance's state", kind: "store|\(error)",
                metadata: ["id": "\(seen.id)", "error": "\(error)"])
        }
    }
}
