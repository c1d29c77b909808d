import FlotillaCore

extension OpenAPISchemas {
    /// `/metrics` (ADR 0021): Prometheus' text exposition format.
    static let metrics: [String: JSONValue] = [
        "MetricsText": .object([
            "type": "string",
            "description":
                "Prometheus text exposition format 0.0.4: # TYPE lines and one sample a line, flotilla_* metrics (docs/decisions/0021-metrics.md)",
        ])
    ]
}
