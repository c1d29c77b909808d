import FlotillaCore

extension OpenAPIOperation {
    /// `GET /api/v2/instances/{id}/logs` (ADR 0024): the body is `text/plain`, streamed while following.
    static let logs: [OpenAPIOperation] = [
        .init(
            method: "get", path: LogsRoute.path,
            summary:
                "An instance's log as text/plain (docker: stdout and stderr; kvm: serial console; sim: its lifecycle record), read on the host that runs it; follow=true streams until it stops",
            access: .key(.read), success: [200: "InstanceLogText"],
            query: [
                .integer("tail", 0...Int64(InstanceLogLimits.maxTail), "Last lines first sent (default 100)"),
                .boolean("follow", "Then stream what the instance writes until it stops or is deleted"),
            ],
            errors: [409, 502, 503])
    ]
}
