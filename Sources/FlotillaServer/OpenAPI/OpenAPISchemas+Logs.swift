import FlotillaCore

extension OpenAPISchemas {
    /// An instance's log (ADR 0024): plain text, lines of at most 64 KiB; a snapshot's export, bytes.
    static let logs: [String: JSONValue] = [
        "InstanceLogText": .object([
            "type": "string",
            "description": "The log's bytes as the instance wrote them (UTF-8 expected, not checked), newline-separated",
        ]),
        // A snapshot's export (docs/decisions/0028-snapshots.md): the backend's bytes (kvm: a tar of its folder).
        "InternalSnapshotExport": .object(["type": "string", "contentMediaType": "application/octet-stream"]),
    ]
}
