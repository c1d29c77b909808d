import Synchronization

/// Fans values out to any number of subscribers, each with its own unbounded buffer.
public final class Broadcaster<Value: Sendable>: Sendable {
    private struct State {
        var next: UInt64 = 0
        var continuations: [UInt64: (sink: AsyncStream<Value>.Continuation, wants: (@Sendable (Value) -> Bool)?)] = [:]
        var finished = false
    }
    private let state = Mutex(State())

    public init() {}

    /// A stream of every value yielded after this call (with `wants`, of those it accepts: it runs in the yielding
    /// task, so a value nobody wants costs no buffering or wake-up). Ends when the broadcaster finishes or the
    /// consumer stops iterating.
    public func subscribe(where wants: (@Sendable (Value) -> Bool)? = nil) -> AsyncStream<Value> {
        let (stream, continuation) = AsyncStream<Value>.makeStream(bufferingPolicy: .unbounded)
        let id: UInt64? = state.withLock { s in
            if s.finished { return nil }
            let id = s.next
            s.next += 1
            s.continuations[id] = (continuation, wants)
            return id
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.continuations.removeValue(forKey: id) }
        }
        return stream
    }

    public func yield(_ value: Value) {
        let targets = state.withLock { Array($0.continuations.values) }
        for target in targets where target.wants?(value) ?? true { target.sink.yield(value) }
    }

    public func finish() {
        let targets = state.withLock { s -> [AsyncStream<Value>.Continuation] in
            s.finished = true
            defer { s.continuations.removeAll() }
            return s.continuations.values.map(\.sink)
        }
        for c in targets { c.finish() }
    }

    public var subscriberCount: Int { state.withLock { $0.continuations.count } }
}
