import FlotillaCore

/// `/openapi.json`: an OpenAPI 3.1 document of surfaces A-D (and the internal routes) as served.
enum OpenAPIDocument {
    static func build(version: String) -> JSONValue {
        var paths: [String: JSONValue] = [:]
        for op in OpenAPIOperation.all {
            let path = openAPIPath(op.path)
            var item = paths[path]?.objectValue ?? [:]
            item[op.method] = operation(op)
            paths[path] = .object(item)
        }
        return .object([
            "openapi": "3.1.0",
            "info": .object([
                "title": "Flotilla", "version": .string(version),
                "description":
                    "Surfaces A (compute), B (workers), C (VMs) and D (global) of one Flotilla host; every host answers every route.",
            ]),
            "paths": .object(paths),
            "components": .object(["schemas": .object(OpenAPISchemas.all), "securitySchemes": securitySchemes]),
        ])
    }

    /// `/a/:id/b` -> `/a/{id}/b`.
    static func openAPIPath(_ pattern: String) -> String {
        pattern.split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
    }

    static let securitySchemes: JSONValue = .object([
        "apiKey": .object(["type": "apiKey", "in": "header", "name": "X-API-Key"]),
        "bearer": .object(["type": "http", "scheme": "bearer"]),
        "cluster": .object([
            "type": "apiKey", "in": "header", "name": "X-Flotilla-Cluster-Token",
            "description": "Host-to-host only; client API keys are refused (403)",
        ]),
    ])

    private static func operation(_ op: OpenAPIOperation) -> JSONValue {
        var parameters: [JSONValue] = op.path.split(separator: "/").filter { $0.hasPrefix(":") }.map { p in
            .object(["name": .string(String(p.dropFirst())), "in": "path", "required": .bool(true), "schema": .object(["type": "string"])])
        }
        parameters += op.query.map { q in .object(["name": .string(q), "in": "query", "schema": .object(["type": "string"])]) }
        if op.method == "get" {
            parameters.append(
                .object([
                    "name": "min_revision", "in": "query", "description": "Wait until this host applied this store revision",
                    "schema": .object(["type": "integer", "minimum": .int(0)]),
                ]))
        }
        let contentType = op.path == "/api/v2/events" ? "text/event-stream" : "application/json"
        let success = JSONValue.object([
            "description": "Success",
            "headers": .object(["X-Flotilla-Revision": .object(["schema": .object(["type": "integer"])])]),
            "content": .object([contentType: .object(["schema": schemaRef(op.schema)])]),
        ])
        var o: [String: JSONValue] = [
            "summary": .string(op.summary),
            "tags": .array([.string(tag(op.path))]),
            "parameters": .array(parameters),
            "responses": .object([
                String(op.success): success,
                "default": .object([
                    "description": "Error in the surface's own shape",
                    "content": .object(["application/json": .object(["schema": schemaRef(errorSchema(op.path))])]),
                ]),
            ]),
        ]
        switch op.access {
        case .open: o["security"] = .array([])
        case .key(let permission):
            o["security"] = .array([.object(["apiKey": .array([])]), .object(["bearer": .array([])])])
            o["x-minimum-role"] = .string(permission.minimumRole.rawValue)
        case .cluster:
            o["security"] = .array([.object(["cluster": .array([])])])
            o["x-internal"] = .bool(true)
        }
        if let body = op.body {
            o["requestBody"] = .object([
                "required": .bool(true),
                "content": .object(["application/json": .object(["schema": schemaRef(body == "object" ? nil : body)])]),
            ])
        }
        return .object(o)
    }

    private static func schemaRef(_ name: String?) -> JSONValue {
        guard let name else { return .object(["type": "object"]) }
        return .object(["$ref": .string("#/components/schemas/\(name)")])
    }

    private static func tag(_ path: String) -> String {
        if path.hasPrefix("/api/v2") { return "D: global" }
        if path.hasPrefix("/internal") { return "internal" }
        switch Surface.of(path: path) {
        case .compute: return path.hasPrefix("/api/v1/compute") ? "A: compute" : "operations"
        case .vms: return "C: VMs"
        case .workers: return "B: workers"
        case .flintlock: return "E: Flintlock gateway"
        }
    }

    private static func errorSchema(_ path: String) -> String {
        switch Surface.of(path: path) {
        case .compute: return "ErrorA"
        case .vms: return "ErrorC"
        case .workers: return "ErrorB"
        case .flintlock: return "ErrorE"
        }
    }
}

extension JSONValue {
    var objectValue: [String: JSONValue]? {
        if case .object(let o) = self { return o }
        return nil
    }
}
