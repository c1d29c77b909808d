import FlotillaCore

extension OpenAPIOperation {
    /// Surface C, `/api/v1/vms`, `/api/v1/health` and `/api/v1/` (docs/api/surface-c-vms.md).
    static let vms: [OpenAPIOperation] = {
        let v = "/api/v1/vms"
        let wait = OpenAPIParameter.boolean("wait", "Answer once the end state is reached (default true); false: 202 at once")
        let acted = [200: "VMActionResult", 202: "VMActionResult"]
        var ops: [OpenAPIOperation] = [
            .init(method: "get", path: "/api/v1/health", summary: "Health of surface C", access: .open, success: [200: "VMHealth"]),
            .init(method: "get", path: "/api/v1/", summary: "API root", access: .open, success: [200: "VMRoot"]),
            .init(
                method: "get", path: v, summary: "List VMs, newest first", access: .key(.read), success: [200: "VMList"],
                query: [
                    .integer("page", 1...1_000_000), .integer("page_size", 1...100), .choice("state", VMMapping.stateNames),
                    .string("name", "Part of the name, any case", maxLength: 255),
                ]),
            .init(
                method: "post", path: v,
                summary: "Create a VM (201 once ACTIVE; 202 with wait=false or when the wait ran out; 200 replaying an Idempotency-Key)",
                access: .key(.operateInstances), success: [201: "VM", 202: "VM", 200: "VM"], query: [wait, .timeout],
                body: .init(schema: "VMCreateRequest"), errors: [404], idempotent: true),
            .init(method: "get", path: "\(v)/:uuid", summary: "Get a VM", access: .key(.read), success: [200: "VM"]),
            .init(
                method: "patch", path: "\(v)/:uuid", summary: "Rename or describe a VM", access: .key(.operateInstances),
                success: [200: "VM"], body: .init(schema: "VMUpdateRequest")),
            .init(
                method: "delete", path: "\(v)/:uuid", summary: "Delete a VM", access: .key(.operateInstances), success: acted,
                query: [wait, .timeout]),
            .init(
                method: "post", path: "\(v)/:uuid/sync", summary: "Refresh from the backend (routed to the owning host)",
                access: .key(.operateInstances), success: [200: "VM"], errors: [502]),
            .init(
                method: "post", path: "\(v)/:uuid/start", summary: "Start a VM", access: .key(.operateInstances), success: acted,
                query: [wait, .timeout], errors: [502]),
            .init(
                method: "post", path: "\(v)/:uuid/stop", summary: "Stop a VM", access: .key(.operateInstances), success: acted,
                query: [wait, .timeout], errors: [502]),
            .init(
                method: "post", path: "\(v)/:uuid/reboot", summary: "Reboot a VM (SOFT or HARD)", access: .key(.operateInstances),
                success: acted, query: [wait, .timeout], body: .init(schema: "VMRebootRequest", required: false), errors: [502]),
        ]
        return ops
    }()

    /// Surface C's catalogs, `/api/v1/flavors` and `/api/v1/images`: any key reads, admins write.
    static let catalog: [OpenAPIOperation] = {
        var ops: [OpenAPIOperation] = []
        for (kind, path, schema) in [("flavor", "/api/v1/flavors", "Flavor"), ("image", "/api/v1/images", "Image")] {
            ops += [
                .init(method: "get", path: path, summary: "List \(kind)s", access: .key(.read), success: [200: "\(schema)List"]),
                .init(method: "get", path: "\(path)/:id", summary: "Get a \(kind)", access: .key(.read), success: [200: schema]),
                .init(
                    method: "post", path: path, summary: "Add a \(kind)", access: .key(.manageCatalog), success: [201: schema],
                    body: .init(schema: "\(schema)CreateRequest")),
                .init(
                    method: "delete", path: "\(path)/:id", summary: "Delete a \(kind)", access: .key(.manageCatalog),
                    success: [200: schema]),
            ]
        }
        ops.append(
            .init(
                method: "put", path: "/api/v1/images/:id", summary: "Replace an image (e.g. add a kernel for kvm)",
                access: .key(.manageCatalog), success: [200: "Image"], body: .init(schema: "ImageReplaceRequest"),
                pathSchemas: ["id": OpenAPISchemas.catalogId]))
        return ops
    }()
}
