import FlotillaAPI
import FlotillaCluster
import FlotillaCore
import Hummingbird

/// Surface B (docs/api/surface-b-workers.md), the cluster figures under `/api/v1/cluster`, computed from the registry.
struct ClusterRoutes {
    let deps: ServerDependencies
    static let base = "/api/v1/cluster"

    func register(_ routes: Routes) {
        routes.add(.get, "\(Self.base)/stats", permission: .read) { _, _ in
            JSONResponse.make(WorkerMapping.stats(deps.registry.snapshot))
        }
        routes.add(.get, "\(Self.base)/distribution", permission: .read) { _, _ in
            JSONResponse.make(WorkerMapping.distribution(deps.registry.snapshot))
        }
    }
}
