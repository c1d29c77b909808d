import FlotillaCore
import Foundation

extension Agent {
    /// One reconcile step for one instance: act on a pending action, or compare the backend with the registry.
    func reconcile(_ id: String) async {
        guard let versioned = registry.read({ $0.instances[id] }), versioned.value.workerId == identity.hostId,
            versioned.value.isLive
        else { return }
        // The registry has not applied this agent's last report yet: acting on the older state would repeat
        // an action that already ran (e.g. stop again after a failed stop). The report's update comes next.
        if let reported = reportedRevisions.withLock({ $0[id] }), versioned.modRevision < reported { return }
        let instance = versioned.value
        guard let backend = backends[instance.backend] else {
            await report(
                instance, to: .error, description: "backend \(instance.backend.rawValue) is not available on host \(identity.hostId)")
            return
        }
        do {
            try await step(instance, backend)
        } catch let error as BackendError {
            if case .notFound = error, instance.state == .deleting {
                await report(instance, to: .deleted, description: nil)
                return
            }
            logger.warning("backend action failed", metadata: ["id": "\(id)", "state": "\(instance.state)", "error": "\(error)"])
            await report(instance, to: .error, description: error.description)
        } catch is CancellationError {
            return
        } catch {
            logger.warning("backend action failed", metadata: ["id": "\(id)", "error": "\(error)"])
            await report(instance, to: .error, description: "\(error)")
        }
    }

    private func step(_ instance: Instance, _ backend: any ComputeBackend) async throws {
        let id = instance.id
        let stopTimeout = Duration.seconds(instance.stopOptions.timeoutSeconds)
        switch (instance.state, instance.desired) {
        case (.creating, _):
            try await create(instance, backend)
            if instance.desired == .running {
                try await backend.start(id: id)
                await report(instance, to: .running, description: nil, launched: true)
            } else {
                await report(instance, to: .stopped, description: nil)
            }
        case (.starting, _):
            do {
                try await applyPendingResources(instance, backend)
                try await backend.start(id: id)
            } catch BackendError.notFound {
                // The backend lost it (e.g. after a restart, before the first resync re-created it).
                try await create(instance, backend)
                try await backend.start(id: id)
            }
            await report(instance, to: .running, description: nil, launched: true)
        case (.stopping, _):
            try await backend.stop(id: id, force: instance.stopOptions.force, timeout: stopTimeout)
            await report(instance, to: .stopped, description: instance.stopOptions.force ? "stopped (forced)" : nil)
        case (.restarting, _):
            try await backend.restart(id: id, hard: instance.hardRestart, timeout: stopTimeout)
            await report(instance, to: .running, description: nil, launched: true)
        case (.running, .paused):
            try await backend.pause(id: id)
            await report(instance, to: .paused, description: nil)
        case (.paused, .running):
            try await backend.resume(id: id)
            await report(instance, to: .running, description: nil)
        case (.deleting, _):
            try await delete(instance, backend)
            await report(instance, to: .deleted, description: nil)
        case (.running, _), (.paused, _), (.stopped, _), (.error, _):
            try await resync(instance, backend)
        case (.pending, _), (.deleted, _):
            return
        }
    }

    private func create(_ instance: Instance, _ backend: any ComputeBackend) async throws {
        // Already there (a restart between create and report): adopt it instead of creating twice.
        if (try? await backend.inspect(id: instance.id)) != nil { return }
        let artifacts = registry.read { $0.images[instance.spec.config.image]?.artifacts }
        try await backend.create(
            BackendCreateRequest(
                id: instance.id, name: instance.name, kind: instance.kind, spec: instance.spec, artifacts: artifacts))
    }

    private func delete(_ instance: Instance, _ backend: any ComputeBackend) async throws {
        let observed = try await backend.inspect(id: instance.id)
        let runs = observed.state == .running || observed.state == .paused
        if runs && !instance.stopOptions.force {
            try await backend.stop(id: instance.id, force: false, timeout: .seconds(instance.stopOptions.timeoutSeconds))
        }
        try await backend.delete(id: instance.id, force: instance.stopOptions.force || runs)
    }

    private func applyPendingResources(_ instance: Instance, _ backend: any ComputeBackend) async throws {
        guard instance.generation > instance.appliedGeneration, instance.appliedGeneration > 0 else { return }
        _ = try await backend.update(id: instance.id, resources: instance.spec.resources)
    }

    /// Compares the backend with a settled instance; reports what changed behind Flotilla's back.
    private func resync(_ instance: Instance, _ backend: any ComputeBackend) async throws {
        let observed: ObservedInstance
        do {
            observed = try await backend.inspect(id: instance.id)
        } catch BackendError.notFound {
            guard instance.state != .error else { return }
            // The backend lost it (e.g. the simulated backend after a restart): create it again.
            try await create(instance, backend)
            if instance.desired == .running || instance.desired == .paused {
                try await backend.start(id: instance.id)
                await report(instance, to: .running, description: "re-created: the backend no longer had it", launched: true)
            } else {
                await report(instance, to: .stopped, description: "re-created: the backend no longer had it")
            }
            return
        }
        let seen = observed.lifecycleState
        if seen != instance.state {
            // In error, only a recovery to what was asked is reported.
            if instance.state == .error && seen != instance.targetState { return }
            await report(instance, to: seen, description: observed.description)
            return
        }
        if instance.state == .running, instance.generation > instance.appliedGeneration, instance.appliedGeneration > 0,
            backend.features.liveResize
        {
            _ = try await backend.update(id: instance.id, resources: instance.spec.resources)
            await report(instance, to: .running, description: instance.stateDescription)
        }
    }

    /// Records an observed state, unless the instance changed meanwhile in a way that makes it stale.
    func report(_ seen: Instance, to state: InstanceState, description: String?, launched: Bool = false) async {
        let key = StoreKeys.instance(seen.id)
        for _ in 0..<16 {
            guard let kv = try? await store.get(key), var current = try? StoreCodec.decode(Instance.self, from: kv.value)
            else { return }
            // Someone asked for something else since this step began: its own reconcile will follow.
            guard current.state == seen.state, current.desired == seen.desired, current.isLive,
                LifecycleStateMachine.observe(from: current.state, to: state)
            else { return }
            let now = identity.now()
            current.state = state
            current.stateDescription = description
            current.updatedAt = now
            if launched {
                current.launchedAt = now
                current.appliedGeneration = current.generation
            }
            if state == .running, current.appliedGeneration == 0 { current.appliedGeneration = current.generation }
            if state == .running, seen.generation > seen.appliedGeneration { current.appliedGeneration = seen.generation }
            if state == .stopped || state == .deleted { current.terminatedAt = now }
            var then: [TxnOp] = []
            do { then.append(.put(key, try StoreCodec.encode(current))) } catch { return }
            if state == .deleted { then.append(.delete(key: StoreKeys.name(current.name))) }
            guard let result = try? await store.txn([.unchanged(key, since: kv.modRevision)], then: then, otherwise: [])
            else {
                try? await Task.sleep(for: .milliseconds(100))
                continue
            }
            if result.succeeded {
                reportedRevisions.withLock { $0[seen.id] = result.revision }
                logger.debug("instance state reported", metadata: ["id": "\(seen.id)", "state": "\(state)"])
                return
            }
        }
    }
}
