import FlotillaCore
import Foundation
import Metrics
import Synchronization

/// What the cluster services record on one host: store operations and the store's health, backend calls,
/// placements and open event streams. One per host, on that host's own metrics factory (never the process-wide
/// `MetricsSystem`: tests run several hosts in one process). Names and units: docs/decisions/0021-metrics.md.
public final class ClusterMetrics: Sendable {
    /// The factory every handle is made with (a Prometheus registry's, or the no-op one when metrics are off).
    public let factory: any MetricsFactory
    /// False with the no-op factory: callers skip the clock reads and lookups.
    public let isEnabled: Bool
    private let storeCalls = MetricCache<String, CallMetrics>()
    private let backendCalls = MetricCache<BackendCallKey, CallMetrics>()
    private let placed: Counter
    private let unplaceable: Counter
    private let placementLatency: Timer
    private let eventStreams: Meter
    /// Whether the last store call that ended got an answer (``storeUp``).
    private let storeAnswered = Mutex(true)

    public init(factory: any MetricsFactory, isEnabled: Bool = true) {
        self.factory = factory
        self.isEnabled = isEnabled
        placed = Counter(label: "flotilla_placements_total", dimensions: [("outcome", "placed")], factory: factory)
        unplaceable = Counter(label: "flotilla_placements_total", dimensions: [("outcome", "unplaceable")], factory: factory)
        placementLatency = Timer(label: "flotilla_placement_duration_seconds", factory: factory)
        eventStreams = Meter(label: "flotilla_event_stream_subscribers", factory: factory)
        eventStreams.set(0)
    }

    /// Records nothing (`serve --no-metrics`, and components built without metrics).
    public static let off = ClusterMetrics(factory: NOOPMetricsHandler.instance, isEnabled: false)

    // MARK: Store

    /// Whether the store answers: false after a call that got no answer (unreachable, past its deadline), true again
    /// after any call that got one (a refused compare or an unknown lease is an answer).
    public var storeUp: Bool { storeAnswered.withLock { $0 } }

    /// Records one store call: `flotilla_store_operations_total{operation,outcome}` and its duration.
    func recordStore(_ operation: String, error: (any Error)?, _ elapsed: Duration) {
        storeCalls.value(for: operation) {
            CallMetrics(
                counter: "flotilla_store_operations_total", histogram: "flotilla_store_operation_duration_seconds",
                labels: [("operation", operation)], factory: factory)
        }.record(ok: error == nil, elapsed)
        let answered = !Self.meansNoAnswer(error)
        storeAnswered.withLock { $0 = answered }
    }

    /// Whether a store call's error says the store did not answer: ``StoreError/unavailable(_:)`` and anything that
    /// is not a ``StoreError`` (a transport failure). The store's own refusals are answers.
    static func meansNoAnswer(_ error: (any Error)?) -> Bool {
        guard let error else { return false }
        if case StoreError.unavailable = error { return true }
        return !(error is StoreError)
    }

    // MARK: Backends

    /// Records one backend call: `flotilla_backend_calls_total{backend,operation,outcome}` and its duration.
    func recordBackend(_ backend: BackendKind, _ operation: String, ok: Bool, _ elapsed: Duration) {
        backendCalls.value(for: BackendCallKey(backend: backend, operation: operation)) {
            CallMetrics(
                counter: "flotilla_backend_calls_total", histogram: "flotilla_backend_call_duration_seconds",
                labels: [("backend", backend.rawValue), ("operation", operation)], factory: factory)
        }.record(ok: ok, elapsed)
    }

    // MARK: Placement

    /// The leader placed an instance that waited `latency` (since it was created, or returned to pending).
    public func placementPlaced(after latency: TimeInterval) {
        guard isEnabled else { return }
        placed.increment()
        placementLatency.record(duration: .milliseconds(Int64(max(0, latency) * 1000)))
    }

    /// The leader found no worker for an instance (and recorded why).
    public func placementUnplaceable() {
        guard isEnabled else { return }
        unplaceable.increment()
    }

    // MARK: Event streams

    /// An `/api/v2/events` stream opened.
    public func eventStreamOpened() { if isEnabled { eventStreams.increment() } }

    /// An `/api/v2/events` stream ended.
    public func eventStreamClosed() { if isEnabled { eventStreams.decrement() } }
}

/// The labels of one backend call family.
struct BackendCallKey: Hashable, Sendable {
    var backend: BackendKind
    var operation: String
}
