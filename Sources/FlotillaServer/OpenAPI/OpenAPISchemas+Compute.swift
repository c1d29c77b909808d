import FlotillaCore

extension OpenAPISchemas {
    /// Surface A (`Compute` wire types, camelCase, optionals left out when nil), the keys and `/health`.
    static let compute: [String: JSONValue] = [
        "ComputeResources": object(
            [:],
            optional: [
                "cpu": object([:], optional: ["cores": number]), "memory": object([:], optional: ["limit": integer]),
                "storage": object([:], optional: ["totalSpace": integer]),
            ]),
        "ComputeConfig": object(
            [:],
            optional: [
                "image": string, "command": stringArray, "env": stringArray, "volumes": stringArray, "ports": stringArray,
                "networkMode": string, "restartPolicy": string, "diskFormat": string, "networkType": string,
                "networkSource": string, "cloudInit": object([:], optional: ["userData": string, "metaData": string]),
                "networks": array(ref("ComputeNetworkInterface")), "disks": array(ref("ComputeDisk")),
                "kernelArguments": string, "initrdImage": string, "rootImage": string,
            ]),
        "ComputeNetworkInterface": object(
            ["network": string],
            optional: [
                "address": ipv4, "mac": string, "mode": oneOf(NetworkInterface.Mode.allCases.map(\.rawValue)), "bridge": string,
            ]),
        "ComputeDisk": object(["id": string], optional: ["image": string, "sizeBytes": integer, "readOnly": boolean]),
        "ComputeMetadata": object([:], optional: ["labels": stringMap, "annotations": stringMap]),
        "ComputePlacement": object(
            [:],
            optional: [
                "zone": string, "workerLabels": stringMap, "workerId": string, "strategy": oneOf(["spread", "binpack"]),
                "onHostLost": oneOf(["reschedule", "keep"]),
            ]),
        "ComputeInstance": object(
            [
                "id": string, "name": string, "uuid": string, "type": oneOf(InstanceKind.allCases.map(\.rawValue)),
                "backend": oneOf(BackendKind.allCases.map(\.rawValue)), "state": oneOf(computeStates),
                "status": oneOf(["healthy", "unhealthy", "unknown"]), "desiredState": string,
                "config": ref("ComputeConfig"), "resources": ref("ComputeResources"), "metadata": ref("ComputeMetadata"),
                "createdAt": dateTime, "updatedAt": dateTime,
            ],
            optional: [
                "stateDescription": string, "workerId": string, "placement": ref("ComputePlacement"), "launchedAt": dateTime,
                "restartPolicy": string,
                "restarts": object(["attempts": integer, "gaveUp": boolean], optional: ["nextAttemptAt": dateTime]),
                "applied": oneOf(["live", "nextStart"]),
            ]),
        "ComputeInstanceList": object([
            "instances": array(ref("ComputeInstance")), "total": integer, "page": integer, "pageSize": integer,
        ]),
        "ComputeCreateRequest": .object([
            "type": "object",
            "properties": .object([
                "name": name(.instance), "type": oneOf(InstanceKind.allCases.map(\.rawValue)),
                "backend": oneOf(BackendKind.allCases.map(\.rawValue)), "config": ref("ComputeConfig"),
                "resources": ref("ComputeResources"), "metadata": ref("ComputeMetadata"), "placement": ref("ComputePlacement"),
            ]),
            "required": .array(["name", "backend", "config"]),
        ]),
        "ComputeUpdateRequest": .object([
            "type": "object",
            "properties": .object(["resources": ref("ComputeResources"), "metadata": ref("ComputeMetadata")]),
        ]),
        "ComputeStopRequest": .object([
            "type": "object", "properties": .object(["force": boolean, "timeout": integer(0...3600)]),
        ]),
        "ComputeRestartRequest": .object([
            "type": "object", "properties": .object(["hard": boolean, "timeout": integer(0...3600)]),
        ]),
        "ComputeUsage": object(
            [
                "cpu": object(["usage": number, "cores": number]),
                "memory": object(["used": integer, "limit": integer, "percentage": number]),
                "storage": object(["used": integer, "total": integer]),
                "network": object(["rxBytes": integer, "txBytes": integer]), "observedAt": dateTime,
            ],
            optional: ["blockIO": object(["readBytes": integer, "writeBytes": integer])]),
        "ComputeConsole": object(["id": string, "lines": integer, "output": string]),
        "ComputeClusterStatus": object([
            "backends": map(
                object([
                    "status": string, "instances": integer,
                    "resources": object([
                        "cpu": object(["used": number, "total": number]), "memory": object(["used": integer, "total": integer]),
                    ]),
                ])),
            "totalInstances": integer, "health": string,
        ]),
        "ComputeBackendInfo": object([
            "type": oneOf(BackendKind.allCases.map(\.rawValue)), "version": string, "apiVersion": string, "status": string,
            "capabilities": stringArray, "supportedTypes": stringArray,
            "healthCheck": object(["status": string, "lastCheck": dateTime], optional: ["reason": string]),
        ]),
        "KeyCreateRequest": .object([
            "type": "object",
            "properties": .object([
                "name": name(.key), "role": oneOf(Role.allCases.map(\.rawValue)),
                "expiresAt": .object([
                    "type": "string", "format": "date-time",
                    "description": "When the key stops working: in the future, at most 5 years ahead; none: never",
                ]),
            ]),
            "required": .array(["name", "role"]),
        ]),
        "KeyRotateRequest": .object([
            "type": "object",
            "properties": .object([
                "grace": .object([
                    "type": "integer", "minimum": 0, "maximum": .int(Int64(KeyExpiry.maximumGrace)),
                    "description": "Seconds the old key keeps working (0: it stops at once; default 3600)",
                ]),
                "name": name(.key), "expiresAt": dateTime,
            ]),
        ]),
        "KeyRotated": object(["key": ref("KeyCreated"), "rotated": ref("Key")]),
        "Key": object(keyFields, optional: keyOptionalFields),
        "KeyCreated": object(
            keyFields.merging(["key": string]) { a, _ in a },
            optional: keyOptionalFields.filter { $0.key == "expiresAt" || $0.key == "rotatedFrom" }),
        "KeyList": object(["keys": array(ref("Key")), "total": integer]),
        "Health": object(
            [
                "status": oneOf(["ok", "degraded"]), "version": string, "hostId": string, "store": string, "revision": integer,
                "backends": stringArray, "unavailableBackends": stringMap, "role": oneOf(["leader", "follower"]),
            ], optional: ["leader": string]),
        "OpenAPIDocument": .object([
            "type": "object", "properties": .object(["openapi": oneOf(["3.1.0"]), "info": map(any), "paths": map(any)]),
            "required": .array(["openapi", "info", "paths", "components"]),
        ]),
    ]

    /// The fields of a key as listed (Keys.Key): never any part of the secret, only a fingerprint of its stored HMAC.
    static let keyFields: [String: JSONValue] = [
        "id": string, "name": string, "role": oneOf(Role.allCases.map(\.rawValue)), "fingerprint": string(pattern: "^[0-9a-f]{8}$"),
        "createdAt": dateTime, "expired": boolean,
    ]

    /// The fields of a key left out when they are not set (ADR 0019).
    static let keyOptionalFields: [String: JSONValue] = [
        "expiresAt": dateTime, "lastUsedAt": dateTime, "rotatedFrom": string, "rotatedTo": string,
    ]

    /// Surface A's state names (docs/api/surface-a-compute.md, the lifecycle).
    static var computeStates: [String] {
        var seen: [String] = []
        for s in InstanceState.allCases where !seen.contains(ComputeMapping.state(s)) { seen.append(ComputeMapping.state(s)) }
        return seen
    }
}
