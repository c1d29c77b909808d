import FlotillaCore
import FoundationEssentials

extension OpenAPIOperation {
    /// Surface A, `/api/v1/compute` (docs/api/surface-a-compute.md).
    static let compute: [OpenAPIOperation] = {
        let b = "/api/v1/compute"
        let wait = OpenAPIParameter.boolean("wait", "Answer once the end state is reached (default true); false: 202 at once")
        let instance = "ComputeInstance"
        // A synchronous action: 200 once settled, 202 when `wait=false` or the wait ran out.
        let acted = [200: instance, 202: instance]
        var ops: [OpenAPIOperation] = [
            .init(
                method: "get", path: "\(b)/instances", summary: "List instances", access: .key(.read),
                success: [200: "ComputeInstanceList"],
                query: [
                    .choice("backend", BackendKind.allCases.map(\.rawValue)),
                    .choice("state", OpenAPISchemas.computeStates.filter { $0 != "deleted" }),
                    .integer("page", 1...1_000_000), .integer("pageSize", 1...500),
                    .init(
                        name: "labels", schema: OpenAPISchemas.string(pattern: "^([^=,]+=[^,]*)(,[^=,]+=[^,]*)*$"),
                        description: "k=v,k2=v2"),
                ]),
            .init(
                method: "post", path: "\(b)/instances",
                summary: "Create an instance (201 once settled; 202 with wait=false; 200 replaying an Idempotency-Key)",
                access: .key(.operateInstances), success: [201: instance, 202: instance, 200: instance], query: [wait, .timeout],
                body: .init(schema: "ComputeCreateRequest"), idempotent: true),
            .init(
                method: "get", path: "\(b)/instances/name/:name", summary: "Get an instance by name", access: .key(.read),
                success: [200: instance]),
            .init(method: "get", path: "\(b)/instances/:id", summary: "Get an instance", access: .key(.read), success: [200: instance]),
            .init(
                method: "put", path: "\(b)/instances/:id", summary: "Update resources and labels", access: .key(.operateInstances),
                success: [200: instance], body: .init(schema: "ComputeUpdateRequest")),
            .init(
                method: "delete", path: "\(b)/instances/:id", summary: "Delete an instance", access: .key(.operateInstances),
                success: acted, query: [.boolean("force"), wait, .timeout]),
            .init(
                method: "get", path: "\(b)/instances/:id/usage", summary: "Live usage (routed to the owning host)",
                access: .key(.read), success: [200: "ComputeUsage"], errors: [409, 502, 503]),
            .init(
                method: "get", path: "\(b)/instances/:id/console", summary: "Console tail (routed to the owning host)",
                access: .key(.read), success: [200: "ComputeConsole"], query: [.integer("lines", 1...10_000)],
                errors: [409, 502, 503]),
            .init(
                method: "get", path: "\(b)/cluster/status", summary: "Backends and totals", access: .key(.read),
                success: [200: "ComputeClusterStatus"]),
            .init(
                method: "get", path: "\(b)/backends/:backend/info", summary: "One backend on this host", access: .key(.read),
                success: [200: "ComputeBackendInfo"], errors: [503],
                pathSchemas: ["backend": OpenAPISchemas.oneOf(BackendKind.allCases.map(\.rawValue))]),
        ]
        for verb in ["start", "pause", "unpause"] {
            ops.append(
                .init(
                    method: "put", path: "\(b)/instances/:id/\(verb)", summary: "\(verb.capitalized) an instance",
                    access: .key(.operateInstances), success: acted, query: [wait, .timeout]))
        }
        for (verb, body) in [("stop", "ComputeStopRequest"), ("restart", "ComputeRestartRequest")] {
            ops.append(
                .init(
                    method: "put", path: "\(b)/instances/:id/\(verb)", summary: "\(verb.capitalized) an instance",
                    access: .key(.operateInstances), success: acted, query: [wait, .timeout],
                    body: .init(schema: body, required: false)))
        }
        return ops
    }()

    /// Key management, `/api/v1/keys` (admin only).
    static let keys: [OpenAPIOperation] = [
        .init(
            method: "post", path: "/api/v1/keys", summary: "Create an API key (the only answer that shows its secret)",
            access: .key(.manageKeys), success: [201: "KeyCreated"], body: .init(schema: "KeyCreateRequest")),
        .init(method: "get", path: "/api/v1/keys", summary: "List API keys", access: .key(.manageKeys), success: [200: "KeyList"]),
        .init(
            method: "delete", path: "/api/v1/keys/:id", summary: "Revoke an API key", access: .key(.manageKeys),
            success: [200: "Key"]),
        .init(
            method: "post", path: "/api/v1/keys/:id/rotate",
            summary: "Rotate an API key: a new key with its role (its secret shown once); the old one expires after the grace",
            access: .key(.manageKeys), success: [201: "KeyRotated"], body: .init(schema: "KeyRotateRequest", required: false)),
    ]
}
