import FlotillaCore
import Foundation

extension InstanceService {
    /// The last `lines` lines of an instance's console, read from the backend that runs it on this host.
    public func console(id: String, lines: Int) async throws(FlotillaError) -> String {
        let instance = try instance(id: id)
        guard let worker = instance.workerId, instance.state != .pending else {
            throw .invalidState(
                "Instance \(instance.id) is not placed on a host yet", instanceId: instance.id,
                currentState: instance.state, action: "console")
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
            return try await backend.console(id: instance.id, lines: lines)
        } catch let e as BackendError {
            throw e.flotillaError(backend: instance.backend)
        } catch {
            throw FlotillaError(.backendError, "console failed", cause: "\(error)")
        }
    }
}
