import FlotillaCore
import Foundation
import Logging

extension InstanceService {
    /// How long `sync` waits for the backend.
    static let inspectDeadline = Duration.seconds(10)

    /// Asks the backend that runs the instance for its live state and records what it sees when that differs
    /// from the registry, by the same rules as the agent's reports.
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

    /// Records what the backend holds, as the agent records a change made behind Flotilla's back
    /// (``InstanceTransitions/record(_:on:actedOn:now:)``); nothing while an action is under way (the agent owns
    /// the instance then). Returns the instance as now recorded.
    private func record(_ observed: ObservedInstance, for id: String) async throws(FlotillaError) -> Written {
        let key = StoreKeys.instance(id)
        let now = clock.now
        let report = Report(state: observed.lifecycleState, description: observed.description)
        var recorded: Instance?
        do {
            let outcome = try await store.update(key) { kv -> StoreChange? in
                guard let kv, let current = try? StoreCodec.decode(Instance.self, from: kv.value), current.isLive else {
                    throw FlotillaError.instanceNotFound(id)
                }
                recorded = current
                guard current.state.isSettled, report.state != current.state,
                    var new = InstanceTransitions.record(report, on: current, actedOn: current, now: now)
                else { return nil }
                new.restarts = current.restarts
                recorded = new
                return StoreChange(ops: try InstanceTransitions.writeOps(old: current, new: new))
            }
            guard let recorded else { throw FlotillaError.instanceNotFound(id) }
            switch outcome {
            case .written(let revision):
                logger.info(
                    "instance synced from its backend",
                    metadata: ["id": "\(id)", "state": "\(recorded.state.rawValue)", "backend": "\(recorded.backend.rawValue)"])
                return await visible(Written(instance: recorded, revision: revision))
            case .unchanged(let kv):
                return Written(instance: recorded, revision: max(kv?.modRevision ?? 0, registry.revision))
            }
        } catch {
            throw storeError(error)
        }
    }
}
