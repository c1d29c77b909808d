import FlotillaCore
import Foundation

extension InstanceService {
    /// The log of an instance that runs on this host, checked before anything is read (ADR 0024): INVALID_STATE
    /// before placement, BACKEND_UNAVAILABLE on another host or without its backend, INSTANCE_NOT_FOUND when the
    /// backend does not hold it. `tail` is clamped to 0...``InstanceLogLimits/maxTail``.
    public func logs(id: String, tail: Int, follow: Bool) async throws(FlotillaError) -> InstanceLogSource {
        let tail = min(max(tail, 0), InstanceLogLimits.maxTail)
        return try await withLocalBackend(id: id, action: "logs") { backend, id in
            do {
                _ = try await withDeadline(Self.liveDeadline) { try await backend.inspect(id: id) }
            } catch is DeadlineExceeded {
                throw BackendError.unavailable("did not answer within \(Self.liveDeadline)")
            }
            return InstanceLogSource(backend: backend.kind) { write in
                try await backend.logs(id: id, tail: tail, follow: follow, write: write)
            }
        }
    }
}
