import FlotillaAPI
import FlotillaCluster
import FlotillaCore
import Foundation
import Hummingbird

/// Surface A, the Unified Compute API (docs/api/surface-a-compute.md), under `/api/v1/compute`.
struct ComputeRoutes {
    let deps: ServerDependencies
    static let base = "/api/v1/compute"

    func register(_ routes: Routes) {
        let b = Self.base
        routes.add(.get, "\(b)/instances", permission: .read) { req, _ in try list(req) }
        routes.add(.post, "\(b)/instances", permission: .operateInstances) { req, ctx in try await create(req, ctx) }
        routes.add(.get, "\(b)/instances/name/:name", permission: .read) { _, ctx in
            let name = try ctx.parameters.require("name")
            return JSONResponse.make(ComputeMapping.instance(try deps.instances.instance(named: name)))
        }
        let cache = EncodedBodyCache()
        routes.add(.get, "\(b)/instances/:id", permission: .read) { _, ctx in
            let record = try deps.instances.record(id: try ctx.parameters.require("id"))
            let body = cache.body(key: record.value.id, revision: record.modRevision) { ComputeMapping.instance(record.value) }
            return JSONResponse.make(body: body)
        }
        routes.add(.put, "\(b)/instances/:id", permission: .operateInstances) { req, ctx in try await update(req, ctx) }
        // Every action parses its whole query (and body) before it acts (ADR 0012).
        routes.add(.delete, "\(b)/instances/:id", permission: .operateInstances) { req, ctx in
            let query = try ActionQuery.compute(req, force: true)
            return try await act(.delete, ctx, query, ActionOptions(force: query.force))
        }
        for (verb, action) in [("start", LifecycleAction.start), ("pause", .pause), ("unpause", .resume)] {
            routes.add(.put, "\(b)/instances/:id/\(verb)", permission: .operateInstances) { req, ctx in
                try await act(action, ctx, try ActionQuery.compute(req), ActionOptions())
            }
        }
        routes.add(.put, "\(b)/instances/:id/stop", permission: .operateInstances) { req, ctx in
            let query = try ActionQuery.compute(req)
            let body = try await req.decodeJSON(Compute.StopRequest.self, context: ctx, empty: Compute.StopRequest())
            try Self.validateTimeout(body.timeout)
            return try await act(.stop, ctx, query, ActionOptions(force: body.force ?? false, timeoutSeconds: body.timeout))
        }
        routes.add(.put, "\(b)/instances/:id/restart", permission: .operateInstances) { req, ctx in
            let query = try ActionQuery.compute(req)
            let body = try await req.decodeJSON(Compute.RestartRequest.self, context: ctx, empty: Compute.RestartRequest())
            try Self.validateTimeout(body.timeout)
            return try await act(.restart, ctx, query, ActionOptions(timeoutSeconds: body.timeout, hard: body.hard ?? false))
        }
        routes.add(.get, "\(b)/instances/:id/usage", permission: .read) { req, ctx in
            let id = try ctx.parameters.require("id")
            if let relayed = try await OwnerProxy(deps: deps).forwardIfRemote(req, id: id, context: ctx) { return relayed }
            let usage = try await deps.instances.usage(id: id)
            return JSONResponse.make(ComputeMapping.usage(usage))
        }
        ConsoleRoute(deps: deps).register(routes)
        routes.add(.get, "\(b)/cluster/status", permission: .read) { _, _ in
            JSONResponse.make(await ComputeStatus(deps: deps).clusterStatus())
        }
        routes.add(.get, "\(b)/backends/:backend/info", permission: .read) { _, ctx in
            let kind = try ComputeMapping.backend(try ctx.parameters.require("backend"))
            return JSONResponse.make(try await ComputeStatus(deps: deps).backendInfo(kind))
        }
    }

    static func validateTimeout(_ timeout: Int?) throws {
        if let timeout, !(0...ActionQuery.maxTimeout).contains(timeout) {
            throw FlotillaError.validation("timeout must be from 0 to 3600 seconds", field: "timeout")
        }
    }

    private func list(_ req: Request) throws -> Response {
        let query = try ComputeListQuery.parse(req)
        let (page, pageSize) = (query.page, query.pageSize)
        let instances = deps.registry.snapshot.instances
        let matching = instances.newestFirst().lazy.map(\.value).filter { $0.isLive && query.admits($0) }
        let (slice, total) = PageWindow.select(
            matching, offset: (page - 1) * pageSize, count: pageSize, knownTotal: query.isUnfiltered ? instances.liveCount() : nil)
        return JSONResponse.make(
            Compute.InstanceList(instances: slice.map { ComputeMapping.instance($0) }, total: total, page: page, pageSize: pageSize))
    }

    private func create(_ req: Request, _ ctx: FlotillaRequestContext) async throws -> Response {
        let query = try ActionQuery.compute(req)
        let (wire, token) = try await req.createBody(Compute.CreateRequest.self, context: ctx, scope: "compute")
        let request = try ComputeMapping.create(wire)
        let written = try await deps.instances.create(request, idempotency: token)
        // Read-your-writes on this host: answer only once the registry holds the write.
        if written.replayed || !query.wait {
            return JSONResponse.make(ComputeMapping.instance(written.instance), status: written.replayed ? .ok : .accepted)
        }
        let (instance, _) = await deps.instances.settle(written, timeout: timeout(query))
        return JSONResponse.make(ComputeMapping.instance(instance), status: .created)
    }

    private func update(_ req: Request, _ ctx: FlotillaRequestContext) async throws -> Response {
        let id = try ctx.parameters.require("id")
        let body = try await req.decodeJSON(Compute.UpdateRequest.self, context: ctx)
        let current = try deps.instances.instance(id: id)
        let resources = body.resources.map { ComputeMapping.resources($0, base: current.spec.resources) }
        let (written, live) = try await deps.instances.update(id: id, resources: resources, labels: body.metadata?.labels)
        var instance = written.instance
        if live && resources != nil {
            // Wait (bounded) for the owning host to apply it, so the reply is true when it says `live`.
            let gen = written.instance.generation
            if let s = await deps.registry.wait(
                timeout: .seconds(10), until: { $0.instances[written.instance.id].map { $0.value.appliedGeneration >= gen } ?? false })
            {
                instance = s.instances[written.instance.id]?.value ?? instance
            }
        }
        return JSONResponse.make(ComputeMapping.instance(instance, applied: live ? "live" : "nextStart"))
    }

    /// Runs `action` with a query parsed already: nothing left to refuse once the action ran.
    private func act(_ action: LifecycleAction, _ ctx: FlotillaRequestContext, _ query: ActionQuery, _ options: ActionOptions)
        async throws -> Response
    {
        let written = try await deps.instances.perform(action, id: try ctx.parameters.require("id"), options: options)
        guard query.wait, !written.instance.hasSettled else {
            return JSONResponse.make(ComputeMapping.instance(written.instance), status: written.instance.hasSettled ? .ok : .accepted)
        }
        let (instance, settled) = await deps.instances.settle(written, timeout: timeout(query, options))
        return JSONResponse.make(ComputeMapping.instance(instance), status: settled ? .ok : .accepted)
    }

    /// The synchronous wait: `timeout` seconds from the query, or the action's own timeout plus a margin, or
    /// the server default.
    private func timeout(_ query: ActionQuery, _ options: ActionOptions = ActionOptions()) -> Duration {
        if let seconds = query.timeout { return .seconds(seconds) }
        if let t = options.timeoutSeconds { return max(deps.actionTimeout, .seconds(t + 10)) }
        return deps.actionTimeout
    }
}
