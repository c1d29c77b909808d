import FlotillaAPI
import FlotillaCluster
import FlotillaCore
import Hummingbird

/// `GET /health`: liveness, no credential. Reports `degraded` when the store does not answer (503) or a backend
/// is down (200: the host still serves; `unavailableBackends` names the backend and why, exactly as
/// `/api/v1/health` does).
struct HealthRoutes {
    let deps: ServerDependencies

    func register(_ routes: Routes) {
        routes.add(.get, "/health", permission: nil) { _, _ in
            let store = deps.store
            async let storeHealthy = (try? await withDeadlineOrNil(.seconds(2)) { try await store.status().healthy }) ?? false
            async let checks = BackendHealthCheck.run(deps.backends)
            let healthy = await storeHealthy
            let unavailable = BackendHealthCheck.unavailable(await checks)
            let leader = deps.registry.read { $0.leader?.value.hostId }
            let body = HealthResponse(
                status: healthy && unavailable.isEmpty ? "ok" : "degraded", version: deps.version,
                hostId: deps.identity.hostId, store: store.kind, revision: deps.registry.revision,
                backends: deps.backends.kinds.map(\.rawValue), unavailableBackends: unavailable, leader: leader,
                role: leader == deps.identity.hostId ? "leader" : "follower")
            return JSONResponse.make(body, status: healthy ? .ok : .serviceUnavailable)
        }
    }
}

/// `withDeadline` from the cluster module, returning nil instead of throwing on timeout.
func withDeadlineOrNil<T: Sendable>(_ timeout: Duration, _ op: @escaping @Sendable () async throws -> T) async throws -> T? {
    try? await FlotillaCore.withDeadline(timeout, op)
}
