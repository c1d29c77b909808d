import FlotillaAPI
import FlotillaCluster
import FlotillaCore
import Foundation
import Hummingbird

/// Surface C's `GET /api/v1/health` and `GET /api/v1/` root, both without a credential.
struct HealthV1Routes {
    let deps: ServerDependencies
    /// How long the store and each backend get to answer.
    static let deadline = Duration.seconds(2)

    func register(_ routes: Routes) {
        routes.add(.get, "/api/v1/health", permission: nil) { _, _ in JSONResponse.make(await health()) }
        routes.add(.get, "/api/v1/", permission: nil) { _, _ in
            JSONResponse.make(
                VMs.Root(name: "Flotilla VM Lifecycle API", version: deps.version, docs: "/docs", openapi: "/openapi.json"))
        }
    }

    func health() async -> VMs.Health {
        let database = await databaseStatus()
        var backends: [String: VMs.Health.Backend] = [:]
        for (kind, result) in await BackendHealthCheck.run(deps.backends) {
            backends[kind.rawValue] = .init(
                status: result.reason == nil ? "healthy" : "unhealthy", version: result.info?.version ?? "",
                reason: result.reason)
        }
        let state = deps.registry.snapshot
        let live = Array(state.liveInstances)
        let cluster = VMs.Health.Cluster(
            hostId: deps.identity.hostId, store: deps.store.kind, revision: state.revision,
            leaderId: state.leader?.value.hostId, workers: state.workers.count,
            activeWorkers: state.workers.keys.filter { state.status(ofWorker: $0) != .offline }.count,
            instances: live.count, vms: live.filter { $0.kind == .vm }.count)
        let healthy = database == "connected" && backends.values.allSatisfy { $0.status == "healthy" }
        return VMs.Health(
            status: healthy ? "healthy" : "degraded", version: deps.version, timestamp: deps.clock.now,
            database: database, backends: backends, cluster: cluster)
    }

    /// `connected` only after a real round trip to the store within the deadline.
    private func databaseStatus() async -> String {
        let store = deps.store
        do {
            let status = try await FlotillaCore.withDeadline(Self.deadline) { try await store.status() }
            return status.healthy ? "connected" : "error: the \(status.kind) store reports itself unhealthy"
        } catch is DeadlineExceeded {
            return "error: the store did not answer within \(Self.deadline)"
        } catch {
            return "error: the store is unavailable"
        }
    }
}
