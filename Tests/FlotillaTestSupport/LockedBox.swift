import Synchronization

/// A value shared between test tasks, behind a lock (a class, so escaping closures can capture it).
public final class LockedBox<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    public init(_ value: Value) { mutex = Mutex(value) }

    public func withLock<T: Sendable>(_ body: (inout Value) -> T) -> T { mutex.withLock { body(&$0) } }

    public var value: Value { mutex.withLock { $0 } }
}
