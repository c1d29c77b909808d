import Synchronization

/// Metric handles made once per label set and kept: asking the factory on every call would take its registry's
/// lock and build the label set each time. A dictionary behind a lock, keyed by the labels (docs/decisions/0021-metrics.md).
public final class MetricCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    @usableFromInline let entries = Mutex<[Key: Value]>([:])

    public init() {}

    /// The handles of `key`, made by `make` the first time.
    /// Inlinable so that each caller gets a copy specialized for its key and value: a request must not pay for
    /// generic metadata lookups (docs/decisions/0021-metrics.md).
    @inlinable
    public func value(for key: Key, make: () -> Value) -> Value {
        entries.withLock { entries in
            if let value = entries[key] { return value }
            let value = make()
            entries[key] = value
            return value
        }
    }
}
