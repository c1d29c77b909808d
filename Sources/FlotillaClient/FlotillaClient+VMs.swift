import FlotillaAPI
import FlotillaCore

/// Surface C, `/api/v1/vms` (snake_case JSON; see `docs/api/surface-c-vms.md`).
extension FlotillaClient {
    static let vmsPath = ["api", "v1", "vms"]

    /// The most VMs the server puts on one page (`page_size` is at most 100).
    public static let maxVMPageSize = 100

    /// `GET /api/v1/vms`: a page of VMs, newest first. `name` is a case-insensitive substring filter; `state` one
    /// of `BUILDING`, `ACTIVE`, `SHUTOFF`, ... `nil` filters are left out (the server's defaults apply).
    public func listVMs(
        page: Int? = nil, pageSize: Int? = nil, state: String? = nil, name: String? = nil
    ) async throws -> VMs.VMList {
        var query: [RequestTarget.QueryItem] = []
        if let page { query.append(.init("page", String(page))) }
        if let pageSize { query.append(.init("page_size", String(pageSize))) }
        if let state { query.append(.init("state", state)) }
        if let name { query.append(.init("name", name)) }
        return try await send(.get, RequestTarget(Self.vmsPath, query: query)).value
    }

    /// `POST /api/v1/vms`.
    ///
    /// - Parameters:
    ///   - wait: `false` asks the server to answer at once (`?wait=false`, 202 while `BUILDING`).
    ///   - idempotencyKey: sent as `Idempotency-Key`.
    ///   - waitSeconds: how long the server waits for the VM to be `ACTIVE` (`?timeout=`); `nil` leaves its default.
    /// - Returns: the VM, and `accepted == true` when the server answered 202 (not finished yet).
    public func createVM(
        _ request: VMs.CreateRequest, wait: Bool = true, idempotencyKey: String? = nil, waitSeconds: Int? = nil
    ) async throws -> (vm: VMs.VM, accepted: Bool) {
        var headers: [(String, String)] = []
        if let idempotencyKey { headers.append(("Idempotency-Key", idempotencyKey)) }
        let reply: Reply<VMs.VM> = try await send(
            .post, RequestTarget(Self.vmsPath, query: Self.waitQuery(wait, timeout: waitSeconds)), body: request, headers: headers)
        return (reply.value, reply.status == 202)
    }

    /// `GET /api/v1/vms/{uuid}`.
    public func vm(uuid: String) async throws -> VMs.VM {
        try await send(.get, RequestTarget(Self.vmsPath + [uuid])).value
    }

    /// The VM an id or a name refers to. A name is looked up with the list's `name` filter (a substring match),
    /// paging until the VM with exactly that name is found.
    ///
    /// - Throws: ``FlotillaClientError/api(status:code:message:details:)`` with `VM_NOT_FOUND` (404) when no VM has
    ///   that exact name.
    public func vm(_ reference: InstanceReference) async throws -> VMs.VM {
        switch reference {
        case .id(let id):
            return try await vm(uuid: id)
        case .name(let name):
            var page = 1
            while true {
                let list = try await listVMs(page: page, pageSize: Self.maxVMPageSize, name: name)
                if let found = Self.exactMatch(name, in: list.items) { return found }
                guard page < list.pages else { break }
                page += 1
            }
            throw FlotillaClientError.api(
                status: 404, code: VMs.ErrorName.vmNotFound.rawValue, message: "no VM is named '\(name)'",
                details: ["name": .string(name)])
        }
    }

    /// The uuid an id or a name refers to (no request for an id).
    public func resolveVMID(_ reference: InstanceReference) async throws -> String {
        switch reference {
        case .id(let id): return id
        case .name: return try await vm(reference).uuid
        }
    }

    /// The VM named exactly `name` among `candidates` (the name filter matches substrings, case-insensitively).
    public static func exactMatch(_ name: String, in candidates: [VMs.VM]) -> VMs.VM? {
        candidates.first { $0.name == name }
    }

    /// `PATCH /api/v1/vms/{uuid}` with `{"name"?,"description"?}`.
    public func updateVM(uuid: String, _ request: VMs.UpdateRequest) async throws -> VMs.VM {
        try await send(.patch, RequestTarget(Self.vmsPath + [uuid]), body: request).value
    }

    // The actions below take `wait` (`false`: `?wait=false`, the answer comes at once) and `waitSeconds`
    // (`?timeout=`: how long the server waits for the target state; `nil` leaves its default, 60 s).

    /// `DELETE /api/v1/vms/{uuid}`: the action result ends in `current_state: "DELETED"`.
    public func deleteVM(uuid: String, wait: Bool = true, waitSeconds: Int? = nil) async throws -> (
        result: VMs.ActionResult, accepted: Bool
    ) {
        let reply: Reply<VMs.ActionResult> = try await send(
            .delete, RequestTarget(Self.vmsPath + [uuid], query: Self.waitQuery(wait, timeout: waitSeconds)))
        return (reply.value, reply.status == 202)
    }

    /// `POST /api/v1/vms/{uuid}/start` (needs `SHUTOFF`).
    public func startVM(uuid: String, wait: Bool = true, waitSeconds: Int? = nil) async throws -> (
        result: VMs.ActionResult, accepted: Bool
    ) {
        try await vmAction("start", uuid: uuid, wait: wait, waitSeconds: waitSeconds)
    }

    /// `POST /api/v1/vms/{uuid}/stop` (needs `ACTIVE`).
    public func stopVM(uuid: String, wait: Bool = true, waitSeconds: Int? = nil) async throws -> (
        result: VMs.ActionResult, accepted: Bool
    ) {
        try await vmAction("stop", uuid: uuid, wait: wait, waitSeconds: waitSeconds)
    }

    /// `POST /api/v1/vms/{uuid}/reboot` with `{"reboot_type":"SOFT"|"HARD"}` (needs `ACTIVE`).
    public func rebootVM(uuid: String, hard: Bool = false, wait: Bool = true, waitSeconds: Int? = nil) async throws -> (
        result: VMs.ActionResult, accepted: Bool
    ) {
        try await vmAction(
            "reboot", uuid: uuid, wait: wait, waitSeconds: waitSeconds, body: VMs.RebootRequest(rebootType: hard ? "HARD" : "SOFT"))
    }

    /// `POST /api/v1/vms/{uuid}/sync`: the VM refreshed from its backend.
    public func syncVM(uuid: String) async throws -> VMs.VM {
        try await send(.post, RequestTarget(Self.vmsPath + [uuid, "sync"])).value
    }

    private func vmAction(
        _ name: String, uuid: String, wait: Bool, waitSeconds: Int?, body: (any Encodable & Sendable)? = nil
    ) async throws -> (result: VMs.ActionResult, accepted: Bool) {
        let reply: Reply<VMs.ActionResult> = try await send(
            .post, RequestTarget(Self.vmsPath + [uuid, name], query: Self.waitQuery(wait, timeout: waitSeconds)), body: body)
        return (reply.value, reply.status == 202)
    }
}
