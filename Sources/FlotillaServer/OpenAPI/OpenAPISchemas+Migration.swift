import FlotillaCore

extension OpenAPISchemas {
    /// The internal live-migration routes' bodies (``MigrationRoutes``; `IncomingMigration`: synthesized `Codable`).
    static let migration: [String: JSONValue] = [
        "InternalMigrationPrepare": object(["source": string, "revision": integer], optional: ["shared_storage": string]),
        "InternalIncomingMigration": object(
            ["instance_id": string, "migration_address": string, "disks": array(string), "token": string],
            optional: ["disk_address": string, "shared_disks": boolean]),
        "InternalMigrationComplete": object(["timeout_ms": integer]),
        "InternalMigrationDone": object(["id": string]),
    ]
}
