import Synchronization

/// Metric handles made once per label set and kept: asking the factory on every call would take its registry's
/// lock and build the label set each time. A dictionary behind a lock, keyed by the labels (docs/decisions/0021-metrics.md).
public final class MetricCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let entries = Mutex<[Key: Value]>([:])

    public init() {}

    /// The handles of `key`, made by `make` the first time.
    public func value(for key: Key, make: () -> Value) -> Value {
        entries.withLock { entries in
            if let value = entries[key] { return value }
            let value = make()
            entries[key] = value
            return value
        }
    }
}
