import FlotillaAPI

/// Surface A, `/api/v1/compute`.
extension FlotillaClient {
    static let computePath = ["api", "v1", "compute"]
    static let instancesPath = computePath + ["instances"]

    /// `GET /api/v1/compute/instances`. `nil` filters are left out (the server's defaults apply).
    public func listInstances(
        backend: String? = nil, state: String? = nil, labels: [String: String] = [:], page: Int? = nil,
        pageSize: Int? = nil
    ) async throws -> Compute.InstanceList {
        var query: [RequestTarget.QueryItem] = []
        if let backend { query.append(.init("backend", backend)) }
        if let state { query.append(.init("state", state)) }
        if let page { query.append(.init("page", String(page))) }
        if let pageSize { query.append(.init("pageSize", String(pageSize))) }
        if !labels.isEmpty { query.append(.init("labels", try Self.labelSelector(labels))) }
        return try await send(.get, RequestTarget(Self.instancesPath, query: query)).value
    }

    /// `POST /api/v1/compute/instances`.
    ///
    /// - Parameters:
    ///   - wait: `false` asks the server to answer at once (`?wait=false`).
    ///   - idempotencyKey: sent as `Idempotency-Key`: a retry with the same key and body returns the
    ///     first result instead of creating twice.
    ///   - waitSeconds: how long the server waits for the instance to run (`?timeout=`); `nil` leaves its default.
    /// - Returns: the instance, and `accepted == true` when the server answered 202 (not finished yet). A
    ///   create whose wait ran out answers 201 with the state it is in: compare the state, not the flag.
    public func createInstance(
        _ request: Compute.CreateRequest, wait: Bool = true, idempotencyKey: String? = nil, waitSeconds: Int? = nil
    ) async throws -> (instance: Compute.Instance, accepted: Bool) {
        var headers: [(String, String)] = []
        if let idempotencyKey { headers.append(("Idempotency-Key", idempotencyKey)) }
        let reply: Reply<Compute.Instance> = try await send(
            .post, RequestTarget(Self.instancesPath, query: Self.waitQuery(wait, timeout: waitSeconds)), body: request,
            headers: headers)
        return (reply.value, reply.status == 202)
    }

    /// `GET /api/v1/compute/instances/{id}`.
    public func instance(id: String) async throws -> Compute.Instance {
        try await send(.get, RequestTarget(Self.instancesPath + [id])).value
    }

    /// `GET /api/v1/compute/instances/name/{name}`.
    public func instance(named name: String) async throws -> Compute.Instance {
        try await send(.get, RequestTarget(Self.instancesPath + ["name", name])).value
    }

    /// The instance an id or a name refers to.
    public func instance(_ reference: InstanceReference) async throws -> Compute.Instance {
        switch reference {
        case .id(let id): return try await instance(id: id)
        case .name(let name): return try await instance(named: name)
        }
    }

    /// The id an id or a name refers to (one lookup for a name, none for an id).
    public func resolveID(_ reference: InstanceReference) async throws -> String {
        switch reference {
        case .id(let id): return id
        case .name(let name): return try await instance(named: name).id
        }
    }

    /// `PUT /api/v1/compute/instances/{id}`. The answer's `applied` says whether the change took effect
    /// live or on the next start.
    public func updateInstance(id: String, _ request: Compute.UpdateRequest) async throws -> Compute.Instance {
        try await send(.put, RequestTarget(Self.instancesPath + [id]), body: request).value
    }

    // Every action below takes `wait` (`false`: `?wait=false`, the answer comes at once) and `waitSeconds`
    // (`?timeout=`: how long the server waits for the target state; `nil` leaves its default). `accepted` is
    // true when the server answered 202: it took the action and the target state was not reached yet.

    /// `PUT .../start`.
    public func start(id: String, wait: Bool = true, waitSeconds: Int? = nil) async throws -> (
        instance: Compute.Instance, accepted: Bool
    ) {
        try await action("start", id: id, wait: wait, waitSeconds: waitSeconds)
    }

    /// `PUT .../stop` with body `{"force","timeout"}` (`timeout`: seconds of graceful shutdown before the
    /// instance is killed; `nil` leaves the server's default).
    public func stop(id: String, force: Bool = false, timeout: Int? = nil, wait: Bool = true, waitSeconds: Int? = nil)
        async throws -> (instance: Compute.Instance, accepted: Bool)
    {
        try await action(
            "stop", id: id, wait: wait, waitSeconds: waitSeconds, body: Compute.StopRequest(force: force, timeout: timeout))
    }

    /// `PUT .../restart` with body `{"hard"}`.
    public func restart(id: String, hard: Bool = false, wait: Bool = true, waitSeconds: Int? = nil) async throws -> (
        instance: Compute.Instance, accepted: Bool
    ) {
        try await action("restart", id: id, wait: wait, waitSeconds: waitSeconds, body: Compute.RestartRequest(hard: hard))
    }

    /// `PUT .../pause`.
    public func pause(id: String, wait: Bool = true, waitSeconds: Int? = nil) async throws -> (
        instance: Compute.Instance, accepted: Bool
    ) {
        try await action("pause", id: id, wait: wait, waitSeconds: waitSeconds)
    }

    /// `PUT .../unpause`.
    public func unpause(id: String, wait: Bool = true, waitSeconds: Int? = nil) async throws -> (
        instance: Compute.Instance, accepted: Bool
    ) {
        try await action("unpause", id: id, wait: wait, waitSeconds: waitSeconds)
    }

    /// `DELETE /api/v1/compute/instances/{id}[?force=true][&wait=false]`. Without `force` a running
    /// instance is stopped gracefully first.
    public func deleteInstance(id: String, force: Bool = false, wait: Bool = true, waitSeconds: Int? = nil) async throws -> (
        instance: Compute.Instance, accepted: Bool
    ) {
        var query: [RequestTarget.QueryItem] = []
        if force { query.append(.init("force", "true")) }
        query += Self.waitQuery(wait, timeout: waitSeconds)
        let reply: Reply<Compute.Instance> = try await send(.delete, RequestTarget(Self.instancesPath + [id], query: query))
        return (reply.value, reply.status == 202)
    }

    /// `GET /api/v1/compute/instances/{id}/usage`: live figures from the backend.
    public func usage(id: String) async throws -> Compute.Usage {
        try await send(.get, RequestTarget(Self.instancesPath + [id, "usage"])).value
    }

    /// `GET /api/v1/compute/cluster/status`.
    public func clusterStatus() async throws -> Compute.ClusterStatus {
        try await send(.get, RequestTarget(Self.computePath + ["cluster", "status"])).value
    }

    /// `GET /api/v1/compute/backends/{backend}/info`.
    public func backendInfo(_ backend: String) async throws -> Compute.BackendInfo {
        try await send(.get, RequestTarget(Self.computePath + ["backends", backend, "info"])).value
    }

    /// The `labels` query value: `k=v,k2=v2`, sorted by key.
    ///
    /// - Throws: ``FlotillaClientError/invalidRequest(_:)`` for an empty key, a key containing `=` or
    ///   `,`, or a value containing `,`: the server could not split those apart again.
    public static func labelSelector(_ labels: [String: String]) throws -> String {
        try labels.sorted { $0.key < $1.key }.map { key, value in
            guard !key.isEmpty, !key.contains("="), !key.contains(","), !value.contains(",") else {
                throw FlotillaClientError.invalidRequest(
                    "label filter '\(key)=\(value)' cannot be sent: keys must be non-empty without '=' or ',', values without ','"
                )
            }
            return "\(key)=\(value)"
        }.joined(separator: ",")
    }

    /// `wait=false` when not waiting, else `timeout=S` when a wait is given (the same on surfaces A and C).
    static func waitQuery(_ wait: Bool, timeout: Int? = nil) -> [RequestTarget.QueryItem] {
        guard wait else { return [.init("wait", "false")] }
        return timeout.map { [.init("timeout", String($0))] } ?? []
    }

    private func action(
        _ name: String, id: String, wait: Bool, waitSeconds: Int?, body: (any Encodable & Sendable)? = nil
    ) async throws -> (instance: Compute.Instance, accepted: Bool) {
        let reply: Reply<Compute.Instance> = try await send(
            .put, RequestTarget(Self.instancesPath + [id, name], query: Self.waitQuery(wait, timeout: waitSeconds)), body: body)
        return (reply.value, reply.status == 202)
    }
}
