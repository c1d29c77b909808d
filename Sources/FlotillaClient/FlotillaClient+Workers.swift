import FlotillaAPI

/// Surface B: workers (`/api/v1/workers`) and cluster figures (`/api/v1/cluster`).
extension FlotillaClient {
    static let workersPath = ["api", "v1", "workers"]
    static let clusterPath = ["api", "v1", "cluster"]

    /// `GET /api/v1/workers`, optionally only one zone.
    public func listWorkers(zone: String? = nil) async throws -> Workers.WorkerList {
        try await send(.get, RequestTarget(Self.workersPath, query: zone.map { [RequestTarget.QueryItem("zone", $0)] } ?? [])).value
    }

    /// `GET /api/v1/workers/{id}`.
    public func worker(id: String) async throws -> Workers.Worker {
        try await send(.get, RequestTarget(Self.workersPath + [id])).value
    }

    /// `GET /api/v1/workers/{id}/vms`.
    public func workerVMs(id: String) async throws -> Workers.WorkerVMs {
        try await send(.get, RequestTarget(Self.workersPath + [id, "vms"])).value
    }

    /// `POST /api/v1/workers/{id}/drain`. With `migrate`, the answer comes once the instances moved or the
    /// deadline passed: the request timeout is stretched to cover the deadline.
    public func drainWorker(id: String, migrate: Bool = false, deadlineSeconds: Int? = nil) async throws -> Workers.StatusChange {
        let body = Workers.DrainRequest(migrate: migrate ? true : nil, deadlineSeconds: deadlineSeconds)
        let client = migrate ? withTimeout(.seconds(deadlineSeconds ?? 300) + .seconds(30)) : self
        return try await client.send(.post, RequestTarget(Self.workersPath + [id, "drain"]), body: body).value
    }

    /// `POST /api/v1/workers/{id}/activate`.
    public func activateWorker(id: String) async throws -> Workers.StatusChange {
        try await send(.post, RequestTarget(Self.workersPath + [id, "activate"])).value
    }

    /// `GET /api/v1/cluster/stats`.
    public func clusterStats() async throws -> Workers.ClusterStats {
        try await send(.get, RequestTarget(Self.clusterPath + ["stats"])).value
    }

    /// `GET /api/v1/cluster/distribution`.
    public func clusterDistribution() async throws -> Workers.Distribution {
        try await send(.get, RequestTarget(Self.clusterPath + ["distribution"])).value
    }
}
