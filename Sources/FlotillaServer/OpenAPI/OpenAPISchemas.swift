import FlotillaCore

/// The component schemas of `/openapi.json`: the error shapes of each surface and surface D's bodies.
enum OpenAPISchemas {
    static func object(_ properties: [String: JSONValue], required: [String] = []) -> JSONValue {
        .object(["type": "object", "properties": .object(properties), "required": .array(required.map { .string($0) })])
    }
    static let string: JSONValue = .object(["type": "string"])
    static let nullableString: JSONValue = .object(["type": .array(["string", "null"])])
    static let integer: JSONValue = .object(["type": "integer"])
    static let number: JSONValue = .object(["type": "number"])
    static let boolean: JSONValue = .object(["type": "boolean"])
    static let dateTime: JSONValue = .object(["type": .array(["string", "null"]), "format": "date-time"])
    static let labels: JSONValue = .object(["type": "object", "additionalProperties": string])
    static func ref(_ name: String) -> JSONValue { .object(["$ref": .string("#/components/schemas/\(name)")]) }
    static func nullable(_ name: String) -> JSONValue { .object(["oneOf": .array([ref(name), .object(["type": "null"])])]) }

    static let all: [String: JSONValue] = [
        "ErrorA": object(
            ["error": object(["code": string, "message": string, "details": .object(["type": "object"])], required: ["code", "message"])],
            required: ["error"]),
        "ErrorE": object(
            ["code": integer, "message": string, "details": .object(["type": "array"])], required: ["code", "message"]),
        "ErrorB": object(["error": string, "message": string, "code": integer], required: ["error", "message", "code"]),
        "ErrorC": object(["error": string, "message": string, "details": .object(["type": "object"]), "timestamp": string]),
        "HostRef": object(["id": string, "address": nullableString, "zone": nullableString], required: ["id"]),
        "GlobalUsage": object([
            "cpu": object(["usage_percent": number, "cores": number]),
            "memory": object(["used_bytes": integer, "limit_bytes": integer, "percent": number]),
            "storage": object(["used_bytes": integer, "total_bytes": integer]),
            "network": object(["rx_bytes": integer, "tx_bytes": integer]),
        ]),
        "GlobalStatus": object(
            [
                "id": string, "name": string, "kind": string, "backend": string, "state": string, "host": nullable("HostRef"),
                "served_by": string, "routed": boolean, "observed_at": dateTime, "usage": nullable("GlobalUsage"), "revision": integer,
            ], required: ["id", "name", "kind", "backend", "state", "host", "served_by", "routed", "observed_at", "usage", "revision"]),
        "HostUnreachable": object(
            ["error": object(["code": string, "message": string, "details": labels]), "last_known": ref("GlobalVM")],
            required: ["error", "last_known"]),
        "GlobalVM": object(
            [
                "id": string, "name": string, "kind": string, "backend": string,
                "spec": object([
                    "image": string, "resources": object(["cpu_cores": number, "memory_mb": integer, "storage_gb": integer]),
                    "labels": labels, "metadata": labels,
                    "placement": object(["zone": nullableString, "labels": labels, "worker_id": nullableString, "strategy": string]),
                ]),
                "desired": string,
                "observed": object(["state": string, "description": nullableString, "launched_at": dateTime, "terminated_at": dateTime]),
                "host": nullable("HostRef"), "revisions": object(["created": integer, "modified": integer]),
                "created_at": dateTime, "updated_at": dateTime,
            ], required: ["id", "name", "kind", "backend", "spec", "desired", "observed", "host", "revisions"]),
        "GlobalVMList": object(
            ["items": .object(["type": "array", "items": ref("GlobalVM")]), "next_cursor": nullableString, "revision": integer],
            required: ["items", "next_cursor", "revision"]),
        "GlobalCreateRequest": object(
            [
                "name": string, "backend": string, "kind": string, "image": string,
                "resources": object(["cpu_cores": number, "memory_mb": integer, "storage_gb": integer]), "labels": labels,
                "metadata": labels,
                "placement": object([
                    "zone": string, "labels": labels, "worker_id": string,
                    "strategy": .object(["type": "string", "enum": .array(["spread", "binpack"])]),
                ]),
            ], required: ["name", "backend", "image"]),
        "GlobalCluster": object(
            [
                "members": .object([
                    "type": "array",
                    "items": object([
                        "id": string, "address": string, "zone": nullableString,
                        "role": .object(["type": "string", "enum": .array(["leader", "follower"])]), "healthy": boolean, "status": string,
                    ]),
                ]),
                "leader": .object([
                    "oneOf": .array([object(["id": string, "term": integer, "since": dateTime]), .object(["type": "null"])])
                ]),
                "store": object([
                    "kind": string, "healthy": boolean, "revision": integer, "oldest_revision": integer, "details": labels,
                ]),
                "served_by": string,
            ], required: ["members", "leader", "store"]),
        "GlobalEvent": object(
            [
                "revision": integer,
                "type": .object(["type": "string", "enum": .array(ClusterEvent.Kind.allCases.map { .string($0.rawValue) })]),
                "instance_id": nullableString,
                "instance": object(["id": string, "name": string, "state": string, "desired": string, "host": nullableString]),
                "previous_state": nullableString, "worker_id": nullableString, "term": integer,
            ], required: ["revision", "type"]),
    ]
}
