import FlotillaCore
import Foundation

/// What the backend running an instance on this host says about it right now.
public struct LiveObservation: Sendable, Equatable {
    public var instance: Instance
    /// The state the backend reports, in the lifecycle's vocabulary.
    public var state: InstanceState
    public var description: String?
    /// Live usage; nil while the instance does not run (nothing to measure).
    public var usage: InstanceUsage?
    public var observedAt: Date
}

extension InstanceService {
    /// How long a live read waits for the backend.
    public static let liveDeadline = Duration.seconds(10)

    /// The live state and usage of an instance placed on this host, from its backend (surface D's status).
    /// BACKEND_UNAVAILABLE when it runs elsewhere or the backend does not answer within ``liveDeadline``.
    public func live(id: String) async throws(FlotillaError) -> LiveObservation {
        let current = try instance(id: id)
        let clock = self.clock
        return try await withLocalBackend(id: id, action: "status") { backend, id in
            let observed: ObservedInstance
            do {
                observed = try await withDeadline(Self.liveDeadline) { try await backend.inspect(id: id) }
            } catch is DeadlineExceeded {
                throw BackendError.unavailable("did not answer within \(Self.liveDeadline)")
            }
            let state = observed.lifecycleState
            var usage: InstanceUsage?
            if state == .running || state == .paused {
                usage = try? await withDeadline(Self.liveDeadline) { try await backend.usage(id: id) }
            }
            return LiveObservation(
                instance: current, state: state, description: observed.description, usage: usage, observedAt: usage?.observedAt ?? clock.now
            )
        }
    }

    /// The host id an instance is placed on, or nil while it is not placed.
    public func owner(of id: String) throws(FlotillaError) -> String? {
        let i = try instance(id: id)
        return i.state == .pending ? nil : i.workerId
    }

    /// Whether `hostId` is this host.
    public func isLocal(_ hostId: String) -> Bool { hostId == identity.hostId }
}
