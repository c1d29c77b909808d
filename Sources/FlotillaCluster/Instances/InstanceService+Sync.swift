import FlotillaCore
import Foundation

extension InstanceService {
    /// How long `sync` waits for the backend.
    static let inspectDeadline = Duration.seconds(10)

    /// Asks the backend that runs the instance for its live state and records what it sees when that differs
    /// from the registry, by the same rules as the agent's reports (``LifecycleStateMachine/observe(from:to:)``).
    /// Returns the instance as now recorded.
    ///
    /// - An instance not placed yet has nothing live to ask: it is returned as recorded.
    /// - While an action is under way (a transitional state) the agent owns the instance; nothing is recorded.
    /// - An instance on another host: `BACKEND_UNAVAILABLE` (asking that host is another surface's job).
    public func sync(id: String) async throws(FlotillaError) -> Written {
        let current = try instance(id: id)
        guard let worker = current.workerId, current.state != .pending else {
            return Written(instance: current, revision: registry.revision)
        }
        guard worker == identity.hostId else {
            throw FlotillaError(
                .backendUnavailable, "Instance \(current.id) runs on host \(worker); its live state is only known there",
                details: ["workerId": .string(worker), "backend": .string(current.backend.rawValue)])
        }
        guard let backend = backends[current.backend] else {
            throw BackendError.unavailable("not configured on this host").flotillaError(backend: current.backend)
        }
        let observed: ObservedInstance
        let id = current.id
        do {
            observed = try await withDeadline(Self.inspectDeadline) { try await backend.inspect(id: id) }
        } catch is DeadlineExceeded {
            throw FlotillaError(
                .backendUnavailable, "The \(current.backend.rawValue) backend did not answer within \(Self.inspectDeadline)",
                details: ["backend": .string(current.backend.rawValue)])
        } catch let e as BackendError {
            // Not there (yet, or lost): the agent creates or re-creates it; report the record as it is.
            if case .notFound = e { return Written(instance: current, revision: registry.revision) }
            throw e.flotillaError(backend: current.backend)
        } catch {
            throw FlotillaError(.backendError, "inspect failed", details: ["backend": .string(current.backend.rawValue)], cause: "\(error)")
        }
        return try await record(observed, for: current.id)
    }

    /// Records an observation unless the rules forbid it; returns the instance as stored either way.
    private func record(_ observed: ObservedInstance, for id: String) async throws(FlotillaError) -> Written {
        let key = StoreKeys.instance(id)
        let seen = observed.lifecycleState
        for _ in 0..<16 {
            let kv: KeyValue?
            do { kv = try await store.get(key) } catch { throw storeError(error) }
            guard let kv, var instance = try? StoreCodec.decode(Instance.self, from: kv.value), instance.isLive else {
                throw .instanceNotFound(id)
            }
            let unchanged = Written(instance: instance, revision: max(kv.modRevision, registry.revision))
            guard seen != instance.state, !instance.state.isTransitional,
                LifecycleStateMachine.observe(from: instance.state, to: seen),
                instance.state != .error || seen == instance.targetState
            else { return unchanged }
            let now = identity.now()
            instance.state = seen
            instance.stateDescription = observed.description
            instance.updatedAt = now
            if seen == .stopped || seen == .error { instance.terminatedAt = now }
            let result = try await txn([.unchanged(key, since: kv.modRevision)], then: [.put(key, try encode(instance))])
            if result.succeeded {
                logger.info(
                    "instance synced from its backend",
                    metadata: ["id": "\(id)", "state": "\(seen.rawValue)", "backend": "\(instance.backend.rawValue)"])
                return Written(instance: instance, revision: result.revision)
            }
        }
        throw FlotillaError(.storeUnavailable, "Too many concurrent changes to instance \(id); try again")
    }
}
