import FlotillaAPI
import FlotillaCluster
import FlotillaCore
import Foundation

/// Surface A's cluster status and backend info, from the registry and the backends themselves.
struct ComputeStatus {
    let deps: ServerDependencies

    func clusterStatus() async -> Compute.ClusterStatus {
        let state = deps.registry.snapshot
        let live = Array(state.liveInstances)
        var backends: [String: Compute.ClusterStatus.Backend] = [:]
        let kinds = state.availableBackends.union(deps.backends.kinds)
        for kind in kinds.sorted() {
            let instances = live.filter { $0.backend == kind }
            let workers = state.workers.values.map(\.value).filter {
                $0.capabilities.contains(kind) && state.status(ofWorker: $0.id) != .offline
            }
            let usedCPU = instances.filter { $0.workerId != nil }.reduce(0) { $0 + $1.spec.resources.cpuCores }
            let usedMem = instances.filter { $0.workerId != nil }.reduce(Int64(0)) { $0 + $1.spec.resources.memoryBytes }
            let status: String
            if let local = deps.backends[kind] {
                status = await local.info().status == .running ? "healthy" : "unhealthy"
            } else {
                status = workers.isEmpty ? "unavailable" : "healthy"
            }
            backends[kind.rawValue] = .init(
                status: status, instances: instances.count,
                resources: .init(
                    cpu: .init(used: usedCPU, total: workers.reduce(0) { $0 + $1.capacity.cpuCores }),
                    memory: .init(used: usedMem, total: workers.reduce(Int64(0)) { $0 + $1.capacity.memoryMB << 20 })))
        }
        let health = backends.values.allSatisfy { $0.status == "healthy" } ? "healthy" : "degraded"
        return Compute.ClusterStatus(backends: backends, totalInstances: live.count, health: health)
    }

    func backendInfo(_ kind: BackendKind) async throws -> Compute.BackendInfo {
        guard let backend = deps.backends[kind] else {
            throw FlotillaError(
                .backendUnavailable, "\(kind.rawValue) backend is not available on this host",
                details: ["backend": .string(kind.rawValue), "hostId": .string(deps.identity.hostId)])
        }
        let info = await backend.info()
        return Compute.BackendInfo(
            type: kind.rawValue, version: info.version, apiVersion: info.apiVersion, status: info.status.rawValue,
            capabilities: info.capabilities, supportedTypes: info.supportedKinds.map(\.rawValue),
            healthCheck: .init(
                status: info.status == .running ? "healthy" : "unhealthy", lastCheck: info.checkedAt, reason: info.reason))
    }
}
