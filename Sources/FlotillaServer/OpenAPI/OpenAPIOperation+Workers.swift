import FlotillaCore

extension OpenAPIOperation {
    /// Surface B, `/api/v1/workers` and `/api/v1/cluster` (docs/api/surface-b-workers.md).
    static let workers: [OpenAPIOperation] = [
        .init(
            method: "get", path: "/api/v1/workers", summary: "List workers", access: .key(.read), success: [200: "WorkerList"],
            query: [.string("zone", "Only this zone's workers", maxLength: 255)]),
        .init(method: "get", path: "/api/v1/workers/:id", summary: "Get a worker", access: .key(.read), success: [200: "Worker"]),
        .init(
            method: "get", path: "/api/v1/workers/:id/vms", summary: "A worker's VMs", access: .key(.read),
            success: [200: "WorkerVMs"]),
        .init(
            method: "post", path: "/api/v1/workers/:id/drain", summary: "Drain a worker (optionally migrating its instances)",
            access: .key(.operateWorkers), success: [200: "WorkerStatusChange"], body: .init(schema: "DrainRequest", required: false)),
        .init(
            method: "post", path: "/api/v1/workers/:id/activate", summary: "Activate a worker", access: .key(.operateWorkers),
            success: [200: "WorkerStatusChange"]),
        .init(
            method: "get", path: "/api/v1/cluster/stats", summary: "Cluster figures", access: .key(.read),
            success: [200: "ClusterStats"]),
        .init(
            method: "get", path: "/api/v1/cluster/distribution", summary: "Instances per worker", access: .key(.read),
            success: [200: "ClusterDistribution"]),
    ]
}
