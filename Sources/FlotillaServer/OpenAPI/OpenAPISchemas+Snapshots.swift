import FlotillaCore

extension OpenAPISchemas {
    /// Surface D's snapshots (`Global.Snapshot`, `SnapshotList`, the two request bodies: synthesized `Codable`).
    static let snapshots: [String: JSONValue] = [
        "GlobalSnapshot": object([
            "id": string, "name": string, "vm_id": string, "vm_name": string, "kind": oneOf(InstanceKind.allCases.map(\.rawValue)),
            "backend": oneOf(BackendKind.allCases.map(\.rawValue)), "host_id": string, "includes_memory": boolean,
            "size_bytes": integer, "image": string, "resources": ref("GlobalResources"), "created_at": dateTime,
        ]),
        "GlobalSnapshotList": object(["items": array(ref("GlobalSnapshot"))]),
        "GlobalSnapshotCreateRequest": object([:], optional: ["name": name(.instance)]),
        "GlobalSnapshotRestoreRequest": object(
            ["name": name(.instance)], optional: ["target": .object(["type": "string", "minLength": 1, "maxLength": 128])]),
    ]
}
