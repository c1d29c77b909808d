import FlotillaCore

/// One documented operation of `/openapi.json`. Written by hand, route by route: the test that compares
/// them with the ``RouteTable`` keeps them in step with what the server registers.
struct OpenAPIOperation: Sendable {
    enum Access: Sendable {
        case open
        case key(Permission)
        case cluster
    }
    var method: String
    /// Hummingbird's pattern (`:id`), turned into `{id}` in the document.
    var path: String
    var summary: String
    var access: Access
    var success: Int
    /// A schema of `components.schemas` for the success body; nil: a JSON object.
    var schema: String?
    var query: [String] = []
    var body: String? = nil

    static let all: [OpenAPIOperation] = compute + keys + vms + workers + global + flintlock + other

    static let compute: [OpenAPIOperation] = {
        let b = "/api/v1/compute"
        var ops: [OpenAPIOperation] = [
            .init(
                method: "get", path: "\(b)/instances", summary: "List instances", access: .key(.read), success: 200, schema: nil,
                query: ["backend", "state", "page", "pageSize", "labels"]),
            .init(
                method: "post", path: "\(b)/instances", summary: "Create an instance", access: .key(.operateInstances), success: 201,
                schema: nil, query: ["wait", "timeout"], body: "object"),
            .init(
                method: "get", path: "\(b)/instances/name/:name", summary: "Get an instance by name", access: .key(.read), success: 200,
                schema: nil),
            .init(method: "get", path: "\(b)/instances/:id", summary: "Get an instance", access: .key(.read), success: 200, schema: nil),
            .init(
                method: "put", path: "\(b)/instances/:id", summary: "Update resources and labels", access: .key(.operateInstances),
                success: 200, schema: nil, body: "object"),
            .init(
                method: "delete", path: "\(b)/instances/:id", summary: "Delete an instance", access: .key(.operateInstances),
                success: 200, schema: nil, query: ["force", "wait", "timeout"]),
            .init(
                method: "get", path: "\(b)/instances/:id/usage", summary: "Live usage (routed to the owning host)",
                access: .key(.read), success: 200, schema: nil),
            .init(
                method: "get", path: "\(b)/instances/:id/console", summary: "Console tail (routed to the owning host)",
                access: .key(.read), success: 200, schema: nil, query: ["lines"]),
            .init(
                method: "get", path: "\(b)/cluster/status", summary: "Backends and totals", access: .key(.read), success: 200, schema: nil),
            .init(
                method: "get", path: "\(b)/backends/:backend/info", summary: "One backend on this host", access: .key(.read),
                success: 200, schema: nil),
        ]
        for verb in ["start", "stop", "restart", "pause", "unpause"] {
            ops.append(
                .init(
                    method: "put", path: "\(b)/instances/:id/\(verb)", summary: "\(verb.capitalized) an instance",
                    access: .key(.operateInstances), success: 200, schema: nil, query: ["wait", "timeout"]))
        }
        return ops
    }()

    static let keys: [OpenAPIOperation] = [
        .init(
            method: "post", path: "/api/v1/keys", summary: "Create an API key", access: .key(.manageKeys), success: 201, schema: nil,
            body: "object"),
        .init(method: "get", path: "/api/v1/keys", summary: "List API keys", access: .key(.manageKeys), success: 200, schema: nil),
        .init(
            method: "delete", path: "/api/v1/keys/:id", summary: "Revoke an API key", access: .key(.manageKeys), success: 200, schema: nil),
    ]

    static let vms: [OpenAPIOperation] = {
        let v = "/api/v1/vms"
        var ops: [OpenAPIOperation] = [
            .init(method: "get", path: "/api/v1/health", summary: "Health (seed 002)", access: .open, success: 200, schema: nil),
            .init(method: "get", path: "/api/v1/", summary: "API root", access: .open, success: 200, schema: nil),
            .init(
                method: "get", path: v, summary: "List VMs", access: .key(.read), success: 200, schema: nil,
                query: ["page", "page_size", "state", "name"]),
            .init(
                method: "post", path: v, summary: "Create a VM", access: .key(.operateInstances), success: 201, schema: nil, body: "object"),
            .init(method: "get", path: "\(v)/:uuid", summary: "Get a VM", access: .key(.read), success: 200, schema: nil),
            .init(
                method: "patch", path: "\(v)/:uuid", summary: "Rename or describe a VM", access: .key(.operateInstances),
                success: 200, schema: nil, body: "object"),
            .init(method: "delete", path: "\(v)/:uuid", summary: "Delete a VM", access: .key(.operateInstances), success: 200, schema: nil),
            .init(
                method: "post", path: "\(v)/:uuid/sync", summary: "Refresh from the backend (routed to the owning host)",
                access: .key(.operateInstances), success: 200, schema: nil),
        ]
        for verb in ["start", "stop", "reboot"] {
            ops.append(
                .init(
                    method: "post", path: "\(v)/:uuid/\(verb)", summary: "\(verb.capitalized) a VM", access: .key(.operateInstances),
                    success: 200, schema: nil))
        }
        for (kind, path) in [("flavor", "/api/v1/flavors"), ("image", "/api/v1/images")] {
            ops += [
                .init(method: "get", path: path, summary: "List \(kind)s", access: .key(.read), success: 200, schema: nil),
                .init(method: "get", path: "\(path)/:id", summary: "Get a \(kind)", access: .key(.read), success: 200, schema: nil),
                .init(
                    method: "post", path: path, summary: "Add a \(kind)", access: .key(.manageCatalog), success: 201, schema: nil,
                    body: "object"),
                .init(
                    method: "delete", path: "\(path)/:id", summary: "Delete a \(kind)", access: .key(.manageCatalog), success: 200,
                    schema: nil),
            ]
        }
        ops.append(
            .init(
                method: "put", path: "/api/v1/images/:id", summary: "Replace an image", access: .key(.manageCatalog), success: 200,
                schema: nil, body: "object"))
        return ops
    }()

    static let workers: [OpenAPIOperation] = [
        .init(
            method: "get", path: "/api/v1/workers", summary: "List workers", access: .key(.read), success: 200, schema: nil, query: ["zone"]
        ),
        .init(method: "get", path: "/api/v1/workers/:id", summary: "Get a worker", access: .key(.read), success: 200, schema: nil),
        .init(method: "get", path: "/api/v1/workers/:id/vms", summary: "A worker's VMs", access: .key(.read), success: 200, schema: nil),
        .init(
            method: "post", path: "/api/v1/workers/:id/drain", summary: "Drain a worker", access: .key(.operateWorkers), success: 200,
            schema: nil, body: "object"),
        .init(
            method: "post", path: "/api/v1/workers/:id/activate", summary: "Activate a worker", access: .key(.operateWorkers),
            success: 200, schema: nil),
        .init(method: "get", path: "/api/v1/cluster/stats", summary: "Cluster figures", access: .key(.read), success: 200, schema: nil),
        .init(
            method: "get", path: "/api/v1/cluster/distribution", summary: "Instances per worker", access: .key(.read), success: 200,
            schema: nil),
    ]

    static let global: [OpenAPIOperation] = {
        let v = "/api/v2/vms"
        var ops: [OpenAPIOperation] = [
            .init(
                method: "get", path: "/api/v2/vm/:id/status", summary: "Live status from the owning host (proxied)",
                access: .key(.read), success: 200, schema: "GlobalStatus"),
            .init(
                method: "get", path: v, summary: "Global list, cursor paging", access: .key(.read), success: 200, schema: "GlobalVMList",
                query: ["host", "zone", "state", "backend", "kind", "label", "limit", "cursor"]),
            .init(
                method: "post", path: v, summary: "Create with placement (202; 201 with wait=running)",
                access: .key(.operateInstances), success: 202, schema: "GlobalVM", query: ["wait"], body: "GlobalCreateRequest"),
            .init(method: "get", path: "\(v)/:id", summary: "Registry record", access: .key(.read), success: 200, schema: "GlobalVM"),
            .init(
                method: "delete", path: "\(v)/:id", summary: "Delete", access: .key(.operateInstances), success: 202, schema: "GlobalVM",
                query: ["wait"]),
            .init(
                method: "get", path: "/api/v2/cluster", summary: "Members, leader, store", access: .key(.read), success: 200,
                schema: "GlobalCluster"),
            .init(
                method: "get", path: "/api/v2/events", summary: "Server-sent lifecycle events, resumable", access: .key(.read),
                success: 200, schema: "GlobalEvent", query: ["since", "limit"]),
        ]
        for verb in ["start", "stop", "restart", "pause", "resume"] {
            ops.append(
                .init(
                    method: "post", path: "\(v)/:id/\(verb)", summary: "\(verb.capitalized) (202; 200 with wait=true)",
                    access: .key(.operateInstances), success: 202, schema: "GlobalVM", query: ["wait"]))
        }
        ops.append(
            .init(
                method: "post", path: "\(v)/:id/migrate", summary: "Move to another host", access: .key(.operateInstances), success: 200,
                schema: "GlobalVM"))
        return ops
    }()

    /// Surface E's HTTP gateway (its gRPC service is described by the `.proto` files in `proto/`).
    static let flintlock: [OpenAPIOperation] = [
        .init(
            method: "post", path: "/v1alpha1/microvm", summary: "Create a MicroVM (answers at once, PENDING)",
            access: .key(.operateInstances), success: 200, schema: nil, body: "object"),
        .init(method: "get", path: "/v1alpha1/microvm", summary: "List every MicroVM", access: .key(.read), success: 200, schema: nil),
        .init(
            method: "get", path: "/v1alpha1/microvm/:key", summary: "Get a MicroVM by uid, or list a namespace", access: .key(.read),
            success: 200, schema: nil, query: ["name"]),
        .init(
            method: "delete", path: "/v1alpha1/microvm/:key", summary: "Delete a MicroVM by uid (answers at once, DELETING)",
            access: .key(.operateInstances), success: 200, schema: nil),
    ]

    static let other: [OpenAPIOperation] = [
        .init(method: "get", path: "/health", summary: "Liveness", access: .open, success: 200, schema: nil),
        .init(method: "get", path: "/openapi.json", summary: "This document", access: .key(.read), success: 200, schema: nil),
        .init(
            method: "get", path: "/internal/v1/identity", summary: "Host-to-host: which host answers", access: .cluster, success: 200,
            schema: nil),
        .init(
            method: "get", path: "/internal/v1/instances/:id/status", summary: "Host-to-host: live status of a local instance",
            access: .cluster, success: 200, schema: "GlobalStatus"),
    ]
}
