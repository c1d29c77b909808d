import FlotillaCluster
import Synchronization

/// A value set once (the port a listener bound, the end of a host's start) that any number of tasks wait for.
final class Latch<Value: Sendable>: Sendable {
    private let value = Mutex<Value?>(nil)
    private let opened = Broadcaster<Value>()

    init() {}

    /// The value, once set.
    var current: Value? { value.withLock { $0 } }

    /// Sets the value and wakes every waiter; later calls change nothing.
    func open(_ newValue: Value) {
        let first = value.withLock { stored -> Bool in
            guard stored == nil else { return false }
            stored = newValue
            return true
        }
        guard first else { return }
        opened.yield(newValue)
        opened.finish()
    }

    /// Waits until the value is set; throws `CancellationError` when the task is cancelled first.
    func wait() async throws -> Value {
        let updates = opened.subscribe()
        if let value = current { return value }
        for await value in updates { return value }
        if let value = current { return value }
        throw CancellationError()
    }
}
