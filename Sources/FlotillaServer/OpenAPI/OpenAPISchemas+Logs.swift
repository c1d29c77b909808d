import FlotillaCore

extension OpenAPISchemas {
    /// An instance's log (ADR 0024): plain text, lines of at most 64 KiB.
    static let logs: [String: JSONValue] = [
        "InstanceLogText": .object([
            "type": "string",
            "description": "The log's bytes as the instance wrote them (UTF-8 expected, not checked), newline-separated",
        ])
    ]
}
