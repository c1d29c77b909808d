import FlotillaCore

extension OpenAPISchemas {
    /// `GET /api/v2/audit` (`Global.AuditPage`, snake_case; optionals left out when absent).
    static let audit: [String: JSONValue] = [
        "AuditPage": object(["records": array(ref("AuditEntry"))], optional: ["next_cursor": string]),
        "AuditEntry": object(
            [
                "id": string, "at": dateTime, "request_id": string, "remote_address": string,
                "surface": oneOf(["compute", "workers", "vms", "global", "keys", "flintlock", "grpc"]), "method": string,
                "route": string, "status": integer,
            ],
            optional: ["key_id": string, "key_name": string, "role": oneOf(Role.allCases.map(\.rawValue)), "target_id": string]),
    ]
}
