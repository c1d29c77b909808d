import FlotillaAPI
import Foundation

/// Snapshots (`/api/v2/snapshots`, `/api/v2/vms/{id}/snapshots`; docs/api/surface-d-global.md).
extension FlotillaClient {
    /// `POST /api/v2/vms/{id}/snapshots`: taken by the host that runs the VM; `name` nil: the server's default.
    public func takeSnapshot(vm id: String, name: String?) async throws -> Global.Snapshot {
        try await send(
            .post, RequestTarget(Self.globalPath + ["vms", id, "snapshots"]), body: Global.SnapshotCreateRequest(name: name)
        ).value
    }

    /// `GET /api/v2/snapshots[?vm_id=]`: every snapshot, or those of one VM, oldest first.
    public func snapshots(vm id: String? = nil) async throws -> Global.SnapshotList {
        let query = id.map { [RequestTarget.QueryItem("vm_id", $0)] } ?? []
        return try await send(.get, RequestTarget(Self.globalPath + ["snapshots"], query: query)).value
    }

    /// `GET /api/v2/snapshots/{id}`.
    public func snapshot(id: String) async throws -> Global.Snapshot {
        try await send(.get, RequestTarget(Self.globalPath + ["snapshots", id])).value
    }

    /// `DELETE /api/v2/snapshots/{id}`: removed by the host that keeps it.
    public func deleteSnapshot(id: String) async throws -> Global.Snapshot {
        try await send(.delete, RequestTarget(Self.globalPath + ["snapshots", id])).value
    }

    /// `POST /api/v2/snapshots/{id}/vms[?wait=running]`: a new VM named `name` from the snapshot, on `target` when
    /// given (else the host that keeps it); `accepted` when the server answered 202 (not running yet, or not asked
    /// to wait).
    public func restoreSnapshot(id: String, name: String, target: String? = nil, waitRunning: Bool) async throws
        -> (vm: Global.VM, accepted: Bool)
    {
        let query = waitRunning ? [RequestTarget.QueryItem("wait", "running")] : []
        let reply: Reply<Global.VM> = try await send(
            .post, RequestTarget(Self.globalPath + ["snapshots", id, "vms"], query: query),
            body: Global.SnapshotRestoreRequest(name: name, target: target))
        return (reply.value, reply.status == 202)
    }
}
