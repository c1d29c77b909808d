import FlotillaAPI
import FlotillaCluster
import FlotillaCore
import Foundation
import Hummingbird

/// Surface D's global instance API under `/api/v2/vms`, answered by any host from the registry; writes go
/// through the same ``InstanceService`` as every other surface.
struct GlobalRoutes {
    let deps: ServerDependencies
    static let base = "/api/v2/vms"

    /// The actions of `POST /api/v2/vms/{id}/{action}`.
    static let actions: [(String, LifecycleAction?)] = [
        ("start", .start), ("stop", .stop), ("restart", .restart), ("pause", .pause), ("resume", .resume), ("migrate", nil),
    ]

    func register(_ routes: Routes) {
        let b = Self.base
        routes.add(.get, b, permission: .read) { req, _ in try list(req) }
        routes.add(.post, b, permission: .operateInstances) { req, ctx in try await create(req, ctx) }
        routes.add(.get, "\(b)/:id", permission: .read) { _, ctx in
            let record = try deps.instances.record(id: try ctx.parameters.require("id"))
            return JSONResponse.make(GlobalMapping.vm(record, in: deps.registry.snapshot))
        }
        // Every action parses its whole query before it acts (ADR 0012).
        routes.add(.delete, "\(b)/:id", permission: .operateInstances) { req, ctx in
            try await act(.delete, ctx, try ActionQuery.global(req))
        }
        for (verb, action) in Self.actions {
            routes.add(.post, "\(b)/:id/\(verb)", permission: .operateInstances) { req, ctx in
                if let action { return try await act(action, ctx, try ActionQuery.global(req)) }
                return try await migrate(req, ctx)
            }
        }
    }

    private func list(_ req: Request) throws -> Response {
        let limit = try req.queryInt("limit", default: 50, range: 1...500)
        let cursor = try req.query("cursor").map { raw throws(FlotillaError) in try PageCursor.decode(raw) }
        let filter = InstanceFilter(
            host: try req.query("host"), zone: try req.query("zone"), states: try GlobalMapping.states(req.query("state")),
            backend: try req.query("backend").map { try ComputeMapping.backend($0) },
            kind: try ComputeMapping.kind(req.query("kind")), selector: try LabelSelector.parse(req.query("label")))
        let state = deps.registry.snapshot
        let page = InstanceQuery.page(state, filter: filter, after: cursor, limit: limit)
        let items = page.items.compactMap { i in state.instances[i.id].map { GlobalMapping.vm($0, in: state) } }
        return JSONResponse.make(Global.VMList(items: items, nextCursor: page.next?.encoded, revision: state.revision))
    }

    private func create(_ req: Request, _ ctx: FlotillaRequestContext) async throws -> Response {
        let waitRunning = try Self.waitRunning(req)
        let (wire, token) = try await req.createBody(Global.CreateRequest.self, context: ctx, scope: "global")
        let written = try await deps.instances.create(try GlobalMapping.create(wire), idempotency: token)
        if written.replayed || !waitRunning {
            return try respond(id: written.instance.id, status: written.replayed ? .ok : .accepted)
        }
        let (_, settled) = await deps.instances.settle(written, timeout: deps.actionTimeout)
        return try respond(id: written.instance.id, status: settled ? .created : .accepted)
    }

    /// `?wait=running` makes a create answer once the instance runs (201); anything else but `false` is refused.
    static func waitRunning(_ req: Request) throws -> Bool {
        switch try req.query("wait") {
        case nil, "false", "none": return false
        case "running": return true
        default: throw FlotillaError.validation("wait must be running or false", field: "wait")
        }
    }

    /// Runs `action` with a query parsed already: nothing left to refuse once the action ran.
    private func act(_ action: LifecycleAction, _ ctx: FlotillaRequestContext, _ query: ActionQuery) async throws -> Response {
        let written = try await deps.instances.perform(action, id: try ctx.parameters.require("id"))
        guard query.wait, !written.instance.hasSettled else {
            return try respond(id: written.instance.id, status: written.instance.hasSettled ? .ok : .accepted, fallback: written)
        }
        let (_, settled) = await deps.instances.settle(written, timeout: deps.actionTimeout)
        return try respond(id: written.instance.id, status: settled ? .ok : .accepted, fallback: written)
    }

    /// `POST /api/v2/vms/{id}/migrate` with an optional `{"target": ..., "worker_id": ..., "live": ...}`
    /// (docs/decisions/0027-live-migration.md): the body is read whole before anything acts; a refused target (unknown,
    /// the same, unschedulable, too small) changes nothing. A live move is driven by the instance's host: a request
    /// that lands elsewhere is forwarded there. What cannot move live moves cold, and the answer's instance says why;
    /// a live move that fails answers 409 with the reason, the instance running where it was.
    private func migrate(_ request: Request, _ ctx: FlotillaRequestContext) async throws -> Response {
        // Read once, kept: a live request is forwarded with the same body.
        var req = request
        req.body = RequestBody(buffer: try await request.collectLimitedBody(context: ctx))
        let body = try await req.decodeJSON(Global.MigrateRequest.self, context: ctx, empty: Global.MigrateRequest())
        if let target = body.target, target.isEmpty {
            throw FlotillaError.validation("target must not be empty", field: "target")
        }
        if let target = body.workerId, target.isEmpty {
            throw FlotillaError.validation("worker_id must not be empty", field: "worker_id")
        }
        if let target = body.target, let workerId = body.workerId, target != workerId {
            throw FlotillaError.validation("target and worker_id name different workers", field: "target")
        }
        let id = try ctx.parameters.require("id")
        let live = body.live ?? false
        // The owner may take the whole action timeout: the relay waits that long, and a little more.
        let proxy = OwnerProxy(deps: deps)
        if live, let forwarded = try await proxy.forwardIfRemote(req, id: id, context: ctx, timeout: deps.actionTimeout + .seconds(10)) {
            return forwarded
        }
        let before = try deps.instances.instance(id: id)
        guard let from = before.workerId, before.state != .pending else {
            throw FlotillaError.invalidState(
                "Instance \(before.id) is not placed on a host yet", instanceId: before.id, currentState: before.state, action: "migrate")
        }
        let target = body.target ?? body.workerId
        switch await deps.workers.migrate(instance: before.id, from: from, to: target, live: live, within: deps.actionTimeout) {
        case .moved: return try respond(id: before.id, status: .ok)
        // Still on its way (a cold move that did not settle within the budget): 202, the record as it stands.
        case .underWay: return try respond(id: before.id, status: .accepted)
        case .refused(let refusal): throw refusal.error(instanceId: before.id, from: from)
        case .busy(let reason):
            throw FlotillaError(.invalidState, reason, details: ["id": .string(before.id), "hostId": .string(from)])
        case .failedLive(let reason):
            throw FlotillaError(
                .invalidState, "Instance \(before.id) was not migrated live: \(reason)",
                details: ["id": .string(before.id), "hostId": .string(from), "reason": .string(reason)])
        case .failed:
            throw FlotillaError(
                .resourceLimitExceeded,
                "Instance \(before.id) could not be moved off host \(from)\(body.workerId.map { " to worker \($0)" } ?? "") in time",
                details: ["id": .string(before.id), "hostId": .string(from)])
        }
    }

    /// The record as this host's registry now holds it (deleted ones included, for the answer to a delete).
    private func respond(id: String, status: HTTPResponse.Status, fallback: Written? = nil) throws -> Response {
        let state = deps.registry.snapshot
        if let record = state.instances[id] {
            return JSONResponse.make(GlobalMapping.vm(record, in: state), status: status)
        }
        guard let fallback else { throw FlotillaError.instanceNotFound(id) }
        let record = Versioned(value: fallback.instance, modRevision: fallback.revision, createRevision: fallback.revision)
        return JSONResponse.make(GlobalMapping.vm(record, in: state), status: status)
    }
}
