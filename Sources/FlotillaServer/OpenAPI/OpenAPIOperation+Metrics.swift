import FlotillaCore

extension OpenAPIOperation {
    /// `GET /metrics` (ADR 0021): the body is `text/plain`; 404 on a host started with `--no-metrics`.
    static let metrics: [OpenAPIOperation] = [
        .init(
            method: "get", path: MetricsRoute.path,
            summary: "This host's metrics in Prometheus' text format (any key; 404 when the host runs with --no-metrics)",
            access: .key(.read), success: [200: "MetricsText"], errors: [404])
    ]
}
