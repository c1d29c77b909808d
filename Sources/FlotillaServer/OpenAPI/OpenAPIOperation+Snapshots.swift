import FlotillaCore

extension OpenAPIOperation {
    /// Surface D's snapshots (docs/api/surface-d-global.md, docs/decisions/0028-snapshots.md).
    static let snapshots: [OpenAPIOperation] = [
        .init(
            method: "post", path: "/api/v2/vms/:id/snapshots",
            summary:
                "Take a snapshot, on the host that runs the VM (forwarded there); 409 OPERATION_NOT_SUPPORTED where the backend keeps none",
            access: .key(.operateInstances), success: [201: "GlobalSnapshot"],
            body: .init(schema: "GlobalSnapshotCreateRequest", required: false), errors: [502]),
        .init(
            method: "get", path: "/api/v2/vms/:id/snapshots", summary: "The VM's snapshots, oldest first (also after it was deleted)",
            access: .key(.read), success: [200: "GlobalSnapshotList"]),
        .init(
            method: "get", path: "/api/v2/snapshots", summary: "Every snapshot, oldest first", access: .key(.read),
            success: [200: "GlobalSnapshotList"], query: [.string("vm_id", "Only the snapshots of this VM")]),
        .init(
            method: "get", path: "/api/v2/snapshots/:id", summary: "One snapshot", access: .key(.read),
            success: [200: "GlobalSnapshot"]),
        .init(
            method: "delete", path: "/api/v2/snapshots/:id",
            summary: "Delete a snapshot, on the host that keeps it (forwarded there); VMs made from it keep running",
            access: .key(.operateInstances), success: [200: "GlobalSnapshot"], errors: [502]),
        .init(
            method: "post", path: "/api/v2/snapshots/:id/vms",
            summary:
                "A new VM from the snapshot, on the host that keeps it or on `target`, which copies a kvm snapshot from that host first (202; 201 with wait=running once running; 200 replaying an Idempotency-Key)",
            access: .key(.operateInstances), success: [202: "GlobalVM", 201: "GlobalVM", 200: "GlobalVM"],
            query: [.choice("wait", ["running", "false", "none"], "running: answer once the instance runs")],
            body: .init(schema: "GlobalSnapshotRestoreRequest"), idempotent: true),
    ]
}
