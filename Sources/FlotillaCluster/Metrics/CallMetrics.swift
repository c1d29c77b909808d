import Metrics

/// The counters and the latency histogram of one kind of call (a store operation, a backend operation): how many
/// ended `ok`, how many `error`, and how long each took.
public struct CallMetrics: Sendable {
    let ok: Counter
    let error: Counter
    let duration: Timer

    /// `counter` and `histogram` are the metric names; `labels` the call's own labels (the outcome is added to the
    /// counter's).
    init(counter: String, histogram: String, labels: [(String, String)], factory: any MetricsFactory) {
        ok = Counter(label: counter, dimensions: labels + [("outcome", "ok")], factory: factory)
        error = Counter(label: counter, dimensions: labels + [("outcome", "error")], factory: factory)
        duration = Timer(label: histogram, dimensions: labels, factory: factory)
    }

    /// Records one call that took `elapsed`.
    func record(ok succeeded: Bool, _ elapsed: Duration) {
        (succeeded ? ok : error).increment()
        duration.record(duration: elapsed)
    }
}
