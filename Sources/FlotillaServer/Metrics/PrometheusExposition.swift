import Metrics
import Prometheus

/// One host's Prometheus registry and the swift-metrics factory that records into it (kept apart from
/// ``HostMetrics``: the Prometheus module has its own `Counter` and `Gauge`).
struct PrometheusExposition: Sendable {
    let registry: PrometheusCollectorRegistry
    let factory: any MetricsFactory

    /// A fresh registry; histograms of durations get `buckets`, or `perMetric[name]` where given.
    init(buckets: [Duration], perMetric: [String: [Duration]]) {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = buckets
        factory.durationHistogramBuckets = perMetric
        self.registry = registry
        self.factory = factory
    }

    /// Every series in the text exposition format.
    func emit() -> [UInt8] { registry.emitToBuffer() }
}
