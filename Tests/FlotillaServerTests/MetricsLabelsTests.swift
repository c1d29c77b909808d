import HTTPTypes
import Testing

@testable import FlotillaServer

/// The labels of the request metrics are bounded whatever a client sends (ADR 0021).
@Suite("Metrics: request labels")
struct MetricsLabelsTests {
    @Test(
        "the route label is the registered template, never the path",
        arguments: [
            ("/api/v2/instances/{id}", "/api/v2/instances/:id"),
            ("/api/v1/compute/instances/{id}/stop", "/api/v1/compute/instances/:id/stop"),
            ("/api/v1/keys/{id}/rotate", "/api/v1/keys/:id/rotate"),
            ("/a/{x}/b/{y}", "/a/:x/b/:y"),
            ("/health", "/health"),
            ("/metrics", "/metrics"),
            ("/ui/**", "/ui/**"),
            ("NotFound", "unmatched"),
            ("", "unmatched"),
        ])
    func route(endpoint: String, label: String) {
        #expect(MetricLabels.route(endpointPath: endpoint) == label)
    }

    @Test("no endpoint path (no route matched): unmatched")
    func noRoute() {
        #expect(MetricLabels.route(endpointPath: nil) == "unmatched")
    }

    @Test(
        "each route template belongs to one surface",
        arguments: [
            ("/api/v1/compute/instances/:id", "compute"),
            ("/api/v1/workers/:id/drain", "workers"),
            ("/api/v1/cluster", "workers"),
            ("/api/v1/vms/:uuid", "vms"),
            ("/api/v1/flavors", "vms"),
            ("/api/v1/images/:id", "vms"),
            ("/api/v1/health", "vms"),
            ("/api/v1", "vms"),
            ("/api/v2/instances/:id", "global"),
            ("/api/v2/events", "global"),
            ("/v1alpha1/microvm", "flintlock"),
            ("/internal/v1/instances/:id/status", "internal"),
            ("/api/v1/keys", "operations"),
            ("/health", "operations"),
            ("/metrics", "operations"),
            ("/openapi.json", "operations"),
            ("/api/v1/computers", "operations"),
            ("unmatched", "unmatched"),
        ])
    func surface(route: String, surface: String) {
        #expect(MetricLabels.surface(route: route) == surface)
    }

    @Test(
        "the method label is one of HTTP's common methods, else other",
        arguments: [
            (HTTPRequest.Method.get, "GET"), (.head, "HEAD"), (.post, "POST"), (.put, "PUT"), (.patch, "PATCH"),
            (.delete, "DELETE"), (.options, "OPTIONS"), (.connect, "other"), (.trace, "other"),
            (HTTPRequest.Method("BREW")!, "other"),
        ])
    func method(method: HTTPRequest.Method, label: String) {
        #expect(MetricLabels.method(method) == label)
    }
}
