import FlotillaAPI
import FlotillaCluster
import FlotillaCore
import Foundation
import Hummingbird

/// Surface D's snapshots (docs/decisions/0028-snapshots.md, docs/api/surface-d-global.md): readers list and get
/// them from the registry on any host; operators take one (on the host that runs the VM, forwarded there), delete
/// one (on the host that keeps it, forwarded there) and make a new VM from one (`POST /api/v2/snapshots/{id}/vms`,
/// answered as surface D answers a create).
struct SnapshotRoutes {
    let deps: ServerDependencies

    func register(_ routes: Routes) {
        routes.add(.post, "/api/v2/vms/:id/snapshots", permission: .operateInstances) { req, ctx in try await take(req, ctx) }
        routes.add(.get, "/api/v2/vms/:id/snapshots", permission: .read) { _, ctx in
            let id = try ctx.parameters.require("id")
            let items = deps.snapshots.list(instanceId: id)
            // A deleted VM's snapshots stay listed under it; an id the cluster never knew is a 404.
            if items.isEmpty, deps.registry.read({ $0.instances[id.lowercased()] }) == nil { throw FlotillaError.instanceNotFound(id) }
            return JSONResponse.make(Global.SnapshotList(items: items.map(Self.wire)))
        }
        routes.add(.get, "/api/v2/snapshots", permission: .read) { req, _ in
            let vm = try req.query("vm_id")
            return JSONResponse.make(Global.SnapshotList(items: deps.snapshots.list(instanceId: vm).map(Self.wire)))
        }
        routes.add(.get, "/api/v2/snapshots/:id", permission: .read) { _, ctx in
            JSONResponse.make(Self.wire(try deps.snapshots.snapshot(id: try ctx.parameters.require("id"))))
        }
        routes.add(.delete, "/api/v2/snapshots/:id", permission: .operateInstances) { req, ctx in
            let id = try ctx.parameters.require("id")
            let snapshot = try deps.snapshots.snapshot(id: id)
            let proxy = OwnerProxy(deps: deps)
            if snapshot.hostId != deps.identity.hostId, !proxy.wasForwarded(req) {
                return try await proxy.forward(req, toHolder: snapshot.hostId, snapshotId: snapshot.id, context: ctx)
            }
            return JSONResponse.make(Self.wire(try await deps.snapshots.delete(id: id)))
        }
        routes.add(.post, "/api/v2/snapshots/:id/vms", permission: .operateInstances) { req, ctx in try await restore(req, ctx) }
    }

    /// `POST /api/v2/vms/{id}/snapshots` with an optional `{"name": ...}`: 201 with the snapshot, taken by the host
    /// that runs the VM.
    private func take(_ req: Request, _ ctx: FlotillaRequestContext) async throws -> Response {
        let id = try ctx.parameters.require("id")
        if let answer = try await OwnerProxy(deps: deps).forwardIfRemote(req, id: id, context: ctx) { return answer }
        let body = try await req.decodeJSON(Global.SnapshotCreateRequest.self, context: ctx, empty: Global.SnapshotCreateRequest())
        let snapshot = try await deps.snapshots.take(instanceId: id, name: body.name)
        return JSONResponse.make(Self.wire(snapshot), status: .created)
    }

    /// `POST /api/v2/snapshots/{id}/vms` with `{"name": ..., "target"?: HOST}`: a new VM from the snapshot, on the
    /// holding host or the target (which copies the snapshot from the holder first), as a create answers
    /// (202 at once; 201 with `?wait=running` once it runs; 200 replaying an `Idempotency-Key`).
    private func restore(_ req: Request, _ ctx: FlotillaRequestContext) async throws -> Response {
        let waitRunning = try GlobalRoutes.waitRunning(req)
        let id = try ctx.parameters.require("id")
        let (wire, token) = try await req.createBody(Global.SnapshotRestoreRequest.self, context: ctx, scope: "snapshot-restore")
        let written = try await deps.snapshots.restore(id: id, name: wire.name, target: wire.target, idempotency: token)
        var status: HTTPResponse.Status = written.replayed ? .ok : .accepted
        if !written.replayed, waitRunning {
            status = await deps.instances.settle(written, timeout: deps.actionTimeout).settled ? .created : .accepted
        }
        let state = deps.registry.snapshot
        let record =
            state.instances[written.instance.id]
            ?? Versioned(value: written.instance, modRevision: written.revision, createRevision: written.revision)
        return JSONResponse.make(GlobalMapping.vm(record, in: state), status: status)
    }

    static func wire(_ s: Snapshot) -> Global.Snapshot {
        let r = s.spec.resources
        return Global.Snapshot(
            id: s.id, name: s.name, vmId: s.instanceId, vmName: s.instanceName, kind: s.kind.rawValue, backend: s.backend.rawValue,
            hostId: s.hostId, includesMemory: s.artifact.includesMemory, sizeBytes: s.artifact.sizeBytes, image: s.spec.config.image,
            resources: .init(cpuCores: r.cpuCores, memoryMB: r.memoryMB, storageGB: r.storageGB), createdAt: s.createdAt)
    }
}

extension ServerDependencies {
    /// Snapshots (docs/decisions/0028-snapshots.md), over the same store, registry and backends.
    var snapshots: SnapshotService {
        SnapshotService(store: store, registry: registry, identity: identity, clock: clock, backends: backends, instances: instances)
    }
}
