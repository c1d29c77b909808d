import HTTPTypes

/// The labels of `flotilla_http_requests_total` and `flotilla_http_request_duration_seconds`, bounded so that no
/// client can grow the number of series: the route is the template a route was registered with (never the path a
/// client sent), an unknown path is `unmatched`, and a method outside HTTP's common set is `other`
/// (docs/decisions/0021-metrics.md).
enum MetricLabels {
    /// The label of a request that matched no route.
    static let unmatched = "unmatched"

    /// The route label from Hummingbird's endpoint path (`/api/v2/instances/{id}`): the template as registered
    /// (`/api/v2/instances/:id`); `unmatched` when no route matched (no endpoint path, or Hummingbird's `NotFound`).
    static func route(endpointPath: String?) -> String {
        guard let path = endpointPath, path.hasPrefix("/") else { return unmatched }
        guard path.contains("{") else { return path }
        return path.split(separator: "/", omittingEmptySubsequences: false).map { part -> String in
            part.hasPrefix("{") && part.hasSuffix("}") ? ":" + part.dropFirst().dropLast() : String(part)
        }.joined(separator: "/")
    }

    /// The surface a route template belongs to: `compute` (A), `workers` (B), `vms` (C), `global` (D), `flintlock`
    /// (E's gateway), `internal` (host to host), `unmatched`, or `operations` (keys, health, `/openapi.json`,
    /// `/metrics`, and anything else).
    static func surface(route: String) -> String {
        if route == unmatched { return unmatched }
        if route == "/api/v1" || route == "/api/v1/" { return "vms" }
        for (prefix, surface) in surfaces where route == prefix || route.hasPrefix(prefix + "/") { return surface }
        return "operations"
    }

    private static let surfaces: [(String, String)] = [
        ("/api/v1/compute", "compute"), ("/api/v1/workers", "workers"), ("/api/v1/cluster", "workers"),
        ("/api/v1/vms", "vms"), ("/api/v1/flavors", "vms"), ("/api/v1/images", "vms"), ("/api/v1/health", "vms"),
        ("/api/v2", "global"), ("/v1alpha1", "flintlock"), ("/internal", "internal"),
    ]

    /// The method label: one of HTTP's common methods, else `other`.
    static func method(_ method: HTTPRequest.Method) -> String {
        switch method {
        case .get, .head, .post, .put, .patch, .delete, .options: return method.rawValue
        default: return "other"
        }
    }
}
