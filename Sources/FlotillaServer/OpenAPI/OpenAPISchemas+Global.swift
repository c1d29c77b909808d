import FlotillaCore

extension OpenAPISchemas {
    /// Surface D (`Global` wire types, snake_case) and the internal routes. `Status`, `Cluster` and `VMList`
    /// write their optionals as null; the other types leave them out.
    static let global: [String: JSONValue] = [
        "HostRef": object(["id": string], optional: ["address": string, "zone": string]),
        "GlobalUsage": object([
            "cpu": object(["usage_percent": number, "cores": number]),
            "memory": object(["used_bytes": integer, "limit_bytes": integer, "percent": number]),
            "storage": object(["used_bytes": integer, "total_bytes": integer]),
            "network": object(["rx_bytes": integer, "tx_bytes": integer]),
        ]),
        "GlobalStatus": object([
            "id": string, "name": string, "kind": oneOf(InstanceKind.allCases.map(\.rawValue)),
            "backend": oneOf(BackendKind.allCases.map(\.rawValue)), "state": oneOf(InstanceState.allCases.map(\.rawValue)),
            "host": orNull(ref("HostRef")), "served_by": string, "routed": boolean, "observed_at": orNull(dateTime),
            "usage": orNull(ref("GlobalUsage")), "revision": integer,
        ]),
        "GlobalResources": object(["cpu_cores": number, "memory_mb": integer, "storage_gb": integer]),
        "GlobalPlacement": object(
            [:], optional: ["zone": string, "labels": stringMap, "worker_id": string, "strategy": oneOf(["spread", "binpack"])]),
        "GlobalVM": object(
            [
                "id": string, "name": string, "kind": oneOf(InstanceKind.allCases.map(\.rawValue)),
                "backend": oneOf(BackendKind.allCases.map(\.rawValue)),
                "spec": object(
                    [
                        "image": string, "resources": ref("GlobalResources"), "labels": stringMap, "metadata": stringMap,
                        "placement": ref("GlobalPlacement"),
                    ],
                    optional: [
                        "restart_policy": string, "networks": array(ref("GlobalNetworkInterface")),
                        "disks": array(ref("GlobalDisk")), "kernel_arguments": string, "initrd_image": string,
                        "root_image": string,
                    ]),
                "desired": oneOf(DesiredState.allCases.map(\.rawValue)),
                "observed": object(
                    ["state": oneOf(InstanceState.allCases.map(\.rawValue))],
                    optional: [
                        "description": string, "launched_at": dateTime, "terminated_at": dateTime, "restart_attempts": integer,
                        "next_restart_at": dateTime,
                    ]),
                "revisions": object(["created": integer, "modified": integer]), "created_at": dateTime, "updated_at": dateTime,
            ], optional: ["host": ref("HostRef"), "migration": ref("GlobalMigration")]),
        "GlobalMigration": object(
            [
                "mode": oneOf(["live", "cold"]),
                "outcome": oneOf(["migrating", "moved", "failed"]), "from": string, "to": string,
                "at": dateTime,
            ],
            optional: [
                "reason": string,
                "figures": object([
                    "total_ms": integer, "downtime_ms": integer, "disk_ms": integer, "memory_bytes": integer,
                    "disk_bytes": integer,
                ]),
            ]),
        "GlobalNetworkInterface": object(
            ["network": string],
            optional: [
                "address": ipv4, "mac": string, "mode": oneOf(NetworkInterface.Mode.allCases.map(\.rawValue)), "bridge": string,
            ]),
        "GlobalDisk": object(["id": string], optional: ["image": string, "size_bytes": integer, "read_only": boolean]),
        "GlobalVMList": object(["items": array(ref("GlobalVM")), "next_cursor": orNull(string), "revision": integer]),
        "GlobalCreateRequest": .object([
            "type": "object",
            "properties": .object([
                "name": name(.instance), "backend": oneOf(BackendKind.allCases.map(\.rawValue)),
                "kind": oneOf(InstanceKind.allCases.map(\.rawValue)), "image": string, "command": stringArray,
                "resources": .object([
                    "type": "object", "properties": .object(["cpu_cores": number, "memory_mb": integer, "storage_gb": integer]),
                ]),
                "labels": stringMap, "metadata": stringMap,
                "placement": .object([
                    "type": "object",
                    "properties": .object([
                        "zone": string, "labels": stringMap, "worker_id": string, "strategy": oneOf(["spread", "binpack"]),
                    ]),
                ]),
                "restart_policy": string, "networks": array(ref("GlobalNetworkInterface")),
                "disks": array(ref("GlobalDisk")), "kernel_arguments": string, "initrd_image": string, "root_image": string,
            ]),
            "required": .array(["name", "backend", "image"]),
        ]),
        "GlobalMigrateRequest": .object([
            "type": "object",
            "properties": .object([
                "worker_id": .object(["type": "string", "minLength": 1]), "target": .object(["type": "string", "minLength": 1]),
                "live": boolean,
            ]),
        ]),
        "GlobalCluster": object([
            "members": array(
                object(
                    [
                        "id": string, "address": string, "role": oneOf(["leader", "follower"]), "healthy": boolean,
                        "status": oneOf(WorkerStatus.allCases.map(\.rawValue)),
                    ], optional: ["zone": string])),
            "leader": orNull(object(["id": string, "term": integer, "since": dateTime])),
            "store": object(
                ["kind": string, "healthy": boolean, "details": stringMap], optional: ["revision": integer, "oldest_revision": integer]),
            "served_by": string,
        ]),
        "GlobalEvent": object(
            ["revision": integer, "type": oneOf(ClusterEvent.Kind.allCases.map(\.rawValue))],
            optional: [
                "instance_id": string,
                "instance": object(
                    [
                        "id": string, "name": string, "state": oneOf(InstanceState.allCases.map(\.rawValue)),
                        "desired": oneOf(DesiredState.allCases.map(\.rawValue)),
                    ], optional: ["host": string]),
                "previous_state": oneOf(InstanceState.allCases.map(\.rawValue)), "worker_id": string, "term": integer,
            ]),
        "GlobalEventError": object(["code": oneOf(FlotillaError.Code.allCases.map(\.rawValue))], optional: ["message": string]),
        "InternalIdentity": object(["host_id": string, "revision": integer]),
    ]

    /// One event of a server-sent stream as clients parse it: `id`, `event`, and a `data` line holding JSON of
    /// `schema`, or an `error` event's `{code, message}`.
    static func serverSentEvent(_ schema: String) -> JSONValue {
        object(
            [
                "event": oneOf(ClusterEvent.Kind.allCases.map(\.rawValue) + ["error"]),
                "data": .object([
                    "type": "string", "contentMediaType": "application/json",
                    "contentSchema": .object(["anyOf": .array([ref(schema), ref("GlobalEventError")])]),
                ]),
            ], optional: ["id": string(pattern: "^[0-9]+$"), "retry": integer])
    }
}
