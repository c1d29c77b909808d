import FlotillaCore
import Foundation

/// `/openapi.json`: an OpenAPI 3.1 document of surfaces A-E (and the internal routes) as served: every status each
/// route sends, with a schema for every body (docs/api/openapi.md).
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
                    "Surfaces A (compute), B (workers), C (VMs), D (global) and E's HTTP gateway (Flintlock) of one Flotilla host; every host answers every route.",
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

    /// `min_revision`, which every GET takes.
    static let minRevision: JSONValue = .object([
        "name": "min_revision", "in": "query",
        "description": "Wait (bounded) until this host applied this store revision; 504 if it does not in time",
        "schema": .object(["type": "integer", "minimum": 0, "maximum": .int(Int64.max)]),
    ])

    static func operation(_ op: OpenAPIOperation) -> JSONValue {
        var parameters: [JSONValue] = op.pathParameters.map { p in
            .object([
                "name": .string(p), "in": "path", "required": true,
                "schema": op.pathSchemas[p] ?? .object(["type": "string", "minLength": 1, "pattern": "^[^/]+$"]),
            ])
        }
        parameters += op.query.map { q in
            var p: [String: JSONValue] = ["name": .string(q.name), "in": "query", "schema": q.schema]
            if let d = q.description { p["description"] = .string(d) }
            return .object(p)
        }
        if op.method == "get" { parameters.append(minRevision) }
        if op.idempotent {
            parameters.append(
                .object([
                    "name": "Idempotency-Key", "in": "header",
                    "description": "Replays the first answer (200) for the same key and body; 400 for another body",
                    "schema": .object(["type": "string", "minLength": 1, "maxLength": 255]),
                ]))
        }
        var o: [String: JSONValue] = [
            "operationId": .string(operationId(op)),
            "summary": .string(op.summary),
            "tags": .array([.string(tag(op.path))]),
            "parameters": .array(parameters),
            "responses": OpenAPIResponses.build(op),
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
                "required": .bool(body.required),
                "content": .object(["application/json": .object(["schema": OpenAPISchemas.ref(body.schema)])]),
            ])
        }
        return .object(o)
    }

    /// `get /api/v1/vms/{uuid}` -> `get_api_v1_vms_uuid`.
    static func operationId(_ op: OpenAPIOperation) -> String {
        let parts = op.path.split(separator: "/").map { $0.hasPrefix(":") ? String($0.dropFirst()) : String($0) }
        return ([op.method] + parts).joined(separator: "_").replacingOccurrences(of: ".", with: "_")
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
}

extension JSONValue {
    var objectValue: [String: JSONValue]? {
        if case .object(let o) = self { return o }
        return nil
    }
}
