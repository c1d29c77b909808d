import FlotillaCore
import FoundationEssentials

extension OpenAPIOperation {
    /// Surface D, `/api/v2` (docs/api/surface-d-global.md).
    static let global: [OpenAPIOperation] = {
        let v = "/api/v2/vms"
        let vm = "GlobalVM"
        let wait = OpenAPIParameter.boolean("wait", "Answer once the end state is reached (default false: 202 at once)")
        let states = InstanceState.allCases.filter { $0 != .deleted }.map(\.rawValue).joined(separator: "|")
        var ops: [OpenAPIOperation] = [
            .init(
                method: "get", path: "/api/v2/vm/:id/status",
                summary: "Live status from the owning host (proxied); 503 HOST_UNREACHABLE with the last known record",
                access: .key(.read), success: [200: "GlobalStatus"], errors: [409, 502, 503]),
            .init(
                method: "get", path: v, summary: "Global list, cursor paging, oldest first", access: .key(.read),
                success: [200: "GlobalVMList"],
                query: [
                    .string("host"), .string("zone"),
                    .init(
                        name: "state", schema: OpenAPISchemas.string(pattern: "^((\(states))(,(\(states)))*)?$"),
                        description: "States, comma separated"),
                    .choice("backend", BackendKind.allCases.map(\.rawValue)), .choice("kind", InstanceKind.allCases.map(\.rawValue)),
                    .string("label", "Label selector: k=v, k!=v, k or !k, comma separated"), .integer("limit", 1...500),
                    .string("cursor", "next_cursor of the previous page"),
                ]),
            .init(
                method: "post", path: v,
                summary: "Create with placement (202; 201 with wait=running once running; 200 replaying an Idempotency-Key)",
                access: .key(.operateInstances), success: [202: vm, 201: vm, 200: vm],
                query: [.choice("wait", ["running", "false", "none"], "running: answer once the instance runs")],
                body: .init(schema: "GlobalCreateRequest"), idempotent: true),
            .init(method: "get", path: "\(v)/:id", summary: "Registry record", access: .key(.read), success: [200: vm]),
            .init(
                method: "delete", path: "\(v)/:id", summary: "Delete", access: .key(.operateInstances), success: [202: vm, 200: vm],
                query: [wait]),
            .init(
                method: "get", path: "/api/v2/cluster", summary: "Members, leader, store", access: .key(.read),
                success: [200: "GlobalCluster"]),
            .init(
                method: "get", path: "/api/v2/events",
                summary: "Server-sent lifecycle events, resumable (since or Last-Event-ID); each data line is a GlobalEvent",
                access: .key(.read), success: [200: "GlobalEvent"],
                query: [
                    .integer("since", 0...Int64.max, "Events after this revision"),
                    .integer("limit", 1...1_000_000, "End the stream after this many events"),
                    .string("until", "End the stream once the events up to this revision were sent: a revision, or now", maxLength: 20),
                ],
                errors: [410, 503]),
            .init(
                method: "get", path: "/api/v2/audit",
                summary: "The audit trail, oldest first: every mutating call and every refusal (admins only; ADR 0018)",
                access: .key(.manageKeys), success: [200: "AuditPage"],
                query: [
                    .string("key", "Only calls made with this key (its id or name)", maxLength: 128),
                    .string("target", "Only calls on this id", maxLength: 128),
                    .init(name: "since", schema: .object(["type": "string", "format": "date-time"]), description: "RFC 3339"),
                    .integer("limit", 1...1000, "Records a page (default 100)"),
                    .string("cursor", "next_cursor of the previous page"),
                ],
                errors: [503]),
        ]
        for verb in ["start", "stop", "restart", "pause", "resume"] {
            ops.append(
                .init(
                    method: "post", path: "\(v)/:id/\(verb)", summary: "\(verb.capitalized) (202; 200 with wait=true once settled)",
                    access: .key(.operateInstances), success: [202: vm, 200: vm], query: [wait]))
        }
        ops.append(
            .init(
                method: "post", path: "\(v)/:id/migrate",
                summary:
                    "Move to another host: the one target (or worker_id) names, or one the scheduler picks; live with live=true (kvm; docker moves cold), 200 once it runs there with migration saying how; 202 when a cold move is still on its way when the request's deadline passes",
                access: .key(.operateInstances), success: [200: vm, 202: vm], body: .init(schema: "GlobalMigrateRequest", required: false)))
        return ops
    }()

    /// Surface E's HTTP gateway (its gRPC service is described by the `.proto` files in `proto/`).
    static let flintlock: [OpenAPIOperation] = [
        .init(
            method: "post", path: "/v1alpha1/microvm", summary: "Create a MicroVM (answers at once, PENDING)",
            access: .key(.operateInstances), success: [200: "FlintlockMicroVMResponse"],
            body: .init(schema: "FlintlockCreateRequest"), errors: [404, 429]),
        .init(
            method: "get", path: "/v1alpha1/microvm", summary: "List every MicroVM", access: .key(.read),
            success: [200: "FlintlockMicroVMList"], query: [.string("name", "Only MicroVMs of this name")]),
        .init(
            method: "get", path: "/v1alpha1/microvm/:key",
            summary: "Get a MicroVM by uid (a ULID or UUID), or list the MicroVMs of a namespace", access: .key(.read),
            success: [200: "FlintlockMicroVMOrList"], query: [.string("name", "In a namespace: only MicroVMs of this name")]),
        .init(
            method: "delete", path: "/v1alpha1/microvm/:key", summary: "Delete a MicroVM by uid (answers at once, DELETING)",
            access: .key(.operateInstances), success: [200: "FlintlockEmpty"],
            pathSchemas: [
                "key": .object([
                    "anyOf": .array([
                        OpenAPISchemas.string(pattern: "^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$"),
                        .object(["type": "string", "format": "uuid"]),
                    ])
                ])
            ]),
    ]

    /// `/health`, this document and the host-to-host routes.
    static let other: [OpenAPIOperation] = [
        .init(
            method: "get", path: "/health", summary: "Liveness (503 with the same body when the store does not answer)",
            access: .open, success: [200: "Health"], errors: [503]),
        .init(method: "get", path: "/openapi.json", summary: "This document", access: .key(.read), success: [200: "OpenAPIDocument"]),
        .init(
            method: "get", path: "/internal/v1/identity", summary: "Host-to-host: which host answers", access: .cluster,
            success: [200: "InternalIdentity"]),
        .init(
            method: "get", path: "/internal/v1/instances/:id/status", summary: "Host-to-host: live status of a local instance",
            access: .cluster, success: [200: "GlobalStatus"], errors: [409, 502, 503]),
    ]
}
