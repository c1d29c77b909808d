import FlotillaCluster
import FlotillaCore
import Foundation
import HTTPTypes
import Metrics
import Synchronization

/// One host's metrics: its own Prometheus registry (never the process-wide `MetricsSystem`: tests run several hosts
/// in one process), recorded through swift-metrics' API, and what `/metrics` renders. Off (`serve --no-metrics`):
/// the no-op factory, nothing recorded, `/metrics` answers 404 (docs/decisions/0021-metrics.md).
public final class HostMetrics: Sendable {
    /// What the cluster services record (store, backends, placement, event streams), on the same registry.
    public let cluster: ClusterMetrics
    /// nil when metrics are off.
    let exposition: PrometheusExposition?
    private let requests = MetricCache<RequestKey, RequestSeries>()
    private let proxyHops = MetricCache<String, Timer>()
    private let storeUp: Gauge?
    /// The gauges set at the last scrape, by series; the lock also makes one scrape at a time.
    private let scraped = Mutex<[GaugeSample: Gauge]>([:])

    /// `enabled` false: the no-op factory, and `/metrics` is off.
    public init(enabled: Bool = true, version: String) {
        guard enabled else {
            exposition = nil
            cluster = .off
            storeUp = nil
            return
        }
        let exposition = PrometheusExposition(
            buckets: Self.buckets, perMetric: ["flotilla_placement_duration_seconds": Self.placementBuckets])
        let factory = exposition.factory
        self.exposition = exposition
        cluster = ClusterMetrics(factory: factory)
        storeUp = Gauge(label: "flotilla_store_up", factory: factory)
        Gauge(label: "flotilla_build_info", dimensions: [("version", version)], factory: factory).record(1)
    }

    /// Latency buckets of requests, store and backend calls and the routing hop: 0.5 ms to 10 s.
    static let buckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500),
        .seconds(5), .seconds(10),
    ]

    /// Placement waits for a worker for as long as none fits: 10 ms to 5 minutes.
    static let placementBuckets: [Duration] = [
        .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300),
    ]

    /// Whether this host records and serves metrics.
    public var isEnabled: Bool { exposition != nil }

    /// The factory the handles are made with.
    var factory: any MetricsFactory { cluster.factory }

    // MARK: Recording

    /// One HTTP request answered: `flotilla_http_requests_total{surface,route,method,status}` and its duration.
    func recordRequest(endpointPath: String?, method: HTTPRequest.Method, status: Int, _ elapsed: Duration) {
        let key = RequestKey(endpointPath: endpointPath, method: method, status: status)
        requests.value(for: key) { RequestSeries(key, factory: factory) }.record(elapsed)
    }

    /// One call routed to an instance's owner (`OwnerProxy.call`): `ok` (it answered), `unreachable` (no answer within
    /// the proxy deadline, refused), or `error`.
    func recordProxyHop(_ outcome: String, _ elapsed: Duration) {
        guard isEnabled else { return }
        proxyHops.value(for: outcome) {
            Timer(label: "flotilla_proxy_hop_duration_seconds", dimensions: [("outcome", outcome)], factory: factory)
        }.record(duration: elapsed)
    }

    // MARK: Scraping

    /// The Prometheus text exposition, with the gauges derived from `state` set first; nil when metrics are off.
    public func render(_ state: RegistryState, hostId: String, now: Date, healthWindow: TimeInterval) -> [UInt8]? {
        guard let exposition else { return nil }
        let samples = FleetGauges.samples(state, hostId: hostId, now: now, healthWindow: healthWindow)
        return scraped.withLock { gauges in
            storeUp?.record(cluster.storeUp ? 1 : 0)
            var current: [GaugeSample: Gauge] = [:]
            for sample in samples {
                let series = sample.series
                let gauge =
                    gauges.removeValue(forKey: series)
                    ?? Gauge(label: sample.name, dimensions: sample.labels.map { ($0.name, $0.value) }, factory: factory)
                gauge.record(sample.value)
                current[series] = gauge
            }
            // Series of the last scrape that are gone (a worker that was removed).
            for gauge in gauges.values { gauge.destroy() }
            gauges = current
            return exposition.emit()
        }
    }
}

/// The handles of one request series: its counter, and the histogram of its route and method.
struct RequestSeries: Sendable {
    let count: Counter
    let duration: Timer

    init(_ key: RequestKey, factory: any MetricsFactory) {
        let route = MetricLabels.route(endpointPath: key.endpointPath)
        let (surface, method) = (MetricLabels.surface(route: route), MetricLabels.method(key.method))
        count = Counter(
            label: "flotilla_http_requests_total",
            dimensions: [("surface", surface), ("route", route), ("method", method), ("status", String(key.status))],
            factory: factory)
        duration = Timer(
            label: "flotilla_http_request_duration_seconds",
            dimensions: [("surface", surface), ("route", route), ("method", method)], factory: factory)
    }

    func record(_ elapsed: Duration) {
        count.increment()
        duration.record(duration: elapsed)
    }
}
