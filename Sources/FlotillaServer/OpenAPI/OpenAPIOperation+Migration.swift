extension OpenAPIOperation {
    /// The destination half of a live migration, host to host (``MigrationRoutes``; docs/decisions/0027-live-migration.md).
    static let migration: [OpenAPIOperation] = [
        .init(
            method: "post", path: "/internal/v1/instances/:id/migration/prepare",
            summary:
                "Host-to-host: prepare an incoming live migration of an instance the caller runs (409 when it is not being migrated here, or this host's backend cannot)",
            access: .cluster, success: [200: "InternalIncomingMigration"], body: .init(schema: "InternalMigrationPrepare"),
            errors: [409, 502, 503]),
        .init(
            method: "post", path: "/internal/v1/instances/:id/migration/complete",
            summary: "Host-to-host: wait until the incoming instance runs here, then close its migration",
            access: .cluster, success: [200: "InternalMigrationDone"], body: .init(schema: "InternalMigrationComplete"),
            errors: [502]),
        .init(
            method: "post", path: "/internal/v1/instances/:id/migration/abort",
            summary: "Host-to-host: end and remove an incoming instance (idempotent; 409 when this host owns it)",
            access: .cluster, success: [200: "InternalMigrationDone"], errors: [409]),
        .init(
            method: "get", path: SnapshotExportRoute.pattern,
            summary:
                "Host-to-host: the export of a snapshot this host keeps, streamed (for an instance made from it on another host; 503 when another host keeps it)",
            access: .cluster, success: [200: "InternalSnapshotExport"]),
    ]
}
