import FlotillaCluster
import FlotillaCore
import Foundation
import Hummingbird

/// `GET /metrics`: this host's metrics in Prometheus' text exposition format, for any valid key (reader and up;
/// `Authorization: Bearer KEY` is Prometheus' `authorization` scrape setting). A host started with `--no-metrics`
/// answers 404 (docs/decisions/0021-metrics.md).
struct MetricsRoute {
    let deps: ServerDependencies

    static let path = "/metrics"

    /// Prometheus' text format, version 0.0.4.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    func register(_ routes: Routes) {
        let deps = self.deps
        routes.add(.get, Self.path, permission: .read) { _, _ in
            let state = deps.registry.snapshot
            guard
                let text = deps.metrics.render(
                    state, hostId: deps.identity.hostId, now: deps.clock.now, healthWindow: deps.timings.healthWindow)
            else { throw FlotillaError(.notFound, "metrics are off on this host") }
            return Response(
                status: .ok, headers: [.contentType: Self.contentType], body: ResponseBody(byteBuffer: ByteBuffer(bytes: text)))
        }
    }
}
