import FlotillaCore

extension BackendSet {
    /// The same backends, each counted and traced (``InstrumentedBackend``).
    public func instrumented(_ metrics: ClusterMetrics) -> BackendSet {
        BackendSet(kinds.compactMap { self[$0] }.map { InstrumentedBackend($0, metrics: metrics) })
    }
}
