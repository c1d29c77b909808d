import FlotillaAPI
import FlotillaCluster
import FlotillaCore
import Foundation
import Hummingbird

/// Surface B (docs/api/surface-b-workers.md), the workers under `/api/v1/workers`: read from the registry; drain and
/// activate through ``WorkerService``.
struct WorkerRoutes {
    let deps: ServerDependencies
    static let base = "/api/v1/workers"
    /// The longest `deadline_seconds` a drain accepts.
    static let maxDeadline: Int64 = 3600
    /// How long a drain with `migrate` may take when no `deadline_seconds` is given.
    static let defaultDeadline: Int64 = 300

    func register(_ routes: Routes) {
        let b = Self.base
        routes.add(.get, b, permission: .read) { req, _ in
            var q = FieldReader(query: req)
            let zone = q.string("zone", maxLength: 255)
            try q.check()
            let state = deps.registry.snapshot
            let workers = WorkerMapping.workers(
                in: state, zone: zone.flatMap { $0.isEmpty ? nil : $0 }, now: deps.clock.now,
                healthWindow: deps.timings.healthWindow)
            return JSONResponse.make(Workers.WorkerList(workers: workers, total: workers.count))
        }
        routes.add(.get, "\(b)/:id", permission: .read) { _, ctx in
            let id = try ctx.parameters.require("id")
            let state = deps.registry.snapshot
            guard let w = state.workers[id]?.value else { throw WorkerService.notFound(id) }
            return JSONResponse.make(
                WorkerMapping.worker(
                    w, in: state, allocations: state.allocations(), now: deps.clock.now,
                    healthWindow: deps.timings.healthWindow))
        }
        routes.add(.get, "\(b)/:id/vms", permission: .read) { _, ctx in
            let id = try ctx.parameters.require("id")
            let state = deps.registry.snapshot
            guard state.workers[id] != nil else { throw WorkerService.notFound(id) }
            let vms = WorkerMapping.vms(on: id, in: state)
            return JSONResponse.make(Workers.WorkerVMs(workerId: id, vms: vms, total: vms.count))
        }
        routes.add(.post, "\(b)/:id/drain", permission: .operateWorkers) { request, ctx in
            let id = try ctx.parameters.require("id")
            // Read once, kept: a drain with `migrate` is forwarded to the drained worker with the same body.
            var req = request
            req.body = RequestBody(buffer: try await request.collectLimitedBody(context: ctx))
            // Strict JSON types, as surface B's original Go server decodes them (docs/api/surface-b-workers.md):
            // `"migrate": "yes"` is a 400.
            let body = try await req.decodeJSON(Workers.DrainRequest.self, context: ctx, empty: Workers.DrainRequest())
            let migrate = body.migrate ?? false
            let deadline = Int64(body.deadlineSeconds ?? Int(Self.defaultDeadline))
            guard (1...Self.maxDeadline).contains(deadline) else {
                throw FlotillaError.validation(
                    "deadline_seconds must be between 1 and \(Self.maxDeadline)", field: "deadline_seconds")
            }
            _ = try deps.workers.worker(id: id)
            // Live moves are driven by the host that runs the instances: the drained worker drains itself when it can
            // be reached (docs/decisions/0027-live-migration.md); else this host drains it, moving everything cold.
            let proxy = OwnerProxy(deps: deps)
            if migrate, let forwarded = try await proxy.forwardToWorker(req, workerId: id, timeout: .seconds(deadline + 30), context: ctx) {
                return forwarded
            }
            let outcome = try await deps.workers.drain(id: id, migrate: migrate, deadline: .seconds(deadline))
            var message = "Worker marked as draining. It will stop accepting new tasks."
            if migrate {
                message += " Migrated \(outcome.migrated.count) instance(s)"
                message += outcome.notMigrated.isEmpty ? "." : "; \(outcome.notMigrated.count) left on the worker."
            }
            return JSONResponse.make(
                Workers.StatusChange(
                    workerId: id, status: WorkerStatus.draining.rawValue, message: message,
                    migrated: migrate ? outcome.migrated : nil, notMigrated: migrate ? outcome.notMigrated : nil,
                    moves: migrate ? Workers.Move.moves(outcome.moves) : nil))
        }
        routes.add(.post, "\(b)/:id/activate", permission: .operateWorkers) { _, ctx in
            let id = try ctx.parameters.require("id")
            _ = try deps.workers.worker(id: id)
            _ = try await deps.workers.activate(id: id)
            return JSONResponse.make(
                Workers.StatusChange(
                    workerId: id, status: WorkerStatus.active.rawValue,
                    message: "Worker activated. It will resume accepting tasks."))
        }
    }
}
