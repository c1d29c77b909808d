import FlotillaAPI

/// `flotilla fleet`: surface D's instances (`/api/v2/vms`), listed across pages and named by id or name.
extension FlotillaClient {
    /// The filters of `GET /api/v2/vms` (docs/api/surface-d-global.md); nil leaves one out.
    public struct FleetFilter: Sendable, Equatable {
        public var host: String?
        public var zone: String?
        /// Comma list of internal states.
        public var state: String?
        public var backend: String?
        public var kind: String?
        /// A label selector: `k=v,k2!=v2,k3,!k4`.
        public var label: String?

        public init(
            host: String? = nil, zone: String? = nil, state: String? = nil, backend: String? = nil, kind: String? = nil,
            label: String? = nil
        ) {
            self.host = host
            self.zone = zone
            self.state = state
            self.backend = backend
            self.kind = kind
            self.label = label
        }

        var query: [String: String] {
            var q: [String: String] = [:]
            for (name, value) in [("host", host), ("zone", zone), ("state", state), ("backend", backend), ("kind", kind), ("label", label)]
            {
                if let value { q[name] = value }
            }
            return q
        }
    }

    /// The largest page `GET /api/v2/vms` serves.
    public static let maxFleetPageSize = 500

    /// Every instance `filter` selects, oldest first, following `next_cursor` page by page; at most `limit`
    /// (all when nil). Each request asks for no more than is still wanted, so the answer's `next_cursor` is the
    /// server's own: nil when nothing more matches, else where a later listing would go on. `revision` is the
    /// last page's.
    public func fleetVMs(_ filter: FleetFilter = FleetFilter(), limit: Int? = nil, pageSize: Int = 100) async throws -> Global.VMList {
        var items: [Global.VM] = []
        var cursor: String?
        var revision: Int64 = 0
        repeat {
            let want = min(pageSize, limit.map { $0 - items.count } ?? pageSize)
            let page = try await globalVMs(filters: filter.query, limit: want, cursor: cursor)
            items += page.items
            revision = page.revision
            cursor = page.nextCursor
            // A server that hands out a cursor with an empty page would loop: stop.
            if page.items.isEmpty { break }
        } while cursor != nil && (limit.map { items.count < $0 } ?? true)
        return Global.VMList(items: items, nextCursor: cursor, revision: revision)
    }

    /// The id a reference names: an id as is, a name through `GET /api/v1/compute/instances/name/{name}`
    /// (surface D has no lookup by name; every surface sees the same instances).
    public func fleetID(_ reference: InstanceReference) async throws -> String {
        try await resolveID(reference)
    }

    /// `POST /api/v2/vms/{id}/{action}[?wait=true]`: start, stop, restart, pause, resume. The answer, and
    /// whether the server answered 202 (accepted, not settled yet).
    public func fleetAction(_ action: String, id: String, wait: Bool) async throws -> (vm: Global.VM, accepted: Bool) {
        let query = wait ? [RequestTarget.QueryItem("wait", "true")] : []
        let reply: Reply<Global.VM> = try await send(.post, RequestTarget(Self.globalPath + ["vms", id, action], query: query))
        return (reply.value, reply.status == 202)
    }

    /// `POST /api/v2/vms/{id}/migrate`: answers once it runs on another host: the worker `target` names, or one the
    /// leader's scheduler picks when nil (409 when none can take it; 404 for an unknown target). With `live`, a running
    /// kvm VM keeps running while it moves (docs/decisions/0027-live-migration.md); the answer's `migration` says how it
    /// moved (docker containers move cold, with the reason). The worker goes as `worker_id`, which every server since
    /// surface D's migrate takes (`target` is its synonym).
    public func fleetMigrate(id: String, to target: String? = nil, live: Bool = false) async throws -> Global.VM {
        let body = target != nil || live ? Global.MigrateRequest(workerId: target, live: live ? true : nil) : nil
        return try await send(.post, RequestTarget(Self.globalPath + ["vms", id, "migrate"]), body: body).value
    }

    /// `DELETE /api/v2/vms/{id}[?wait=true]`; `accepted` when the server answered 202.
    public func fleetDelete(id: String, wait: Bool) async throws -> (vm: Global.VM, accepted: Bool) {
        let query = wait ? [RequestTarget.QueryItem("wait", "true")] : []
        let reply: Reply<Global.VM> = try await send(.delete, RequestTarget(Self.globalPath + ["vms", id], query: query))
        return (reply.value, reply.status == 202)
    }

    /// `POST /api/v2/vms[?wait=running]` with an optional `Idempotency-Key`; `accepted` when the server
    /// answered 202 (not running yet, or not asked to wait).
    public func fleetCreate(
        _ request: Global.CreateRequest, waitRunning: Bool, idempotencyKey: String? = nil
    ) async throws -> (vm: Global.VM, accepted: Bool) {
        let query = waitRunning ? [RequestTarget.QueryItem("wait", "running")] : []
        let headers = idempotencyKey.map { [("Idempotency-Key", $0)] } ?? []
        let reply: Reply<Global.VM> = try await send(
            .post, RequestTarget(Self.globalPath + ["vms"], query: query), body: request, headers: headers)
        return (reply.value, reply.status == 202)
    }
}
