import Synchronization

/// Fans values out to any number of subscribers, each with its own unbounded buffer.
public final class Broadcaster<Value: Sendable>: Sendable {
    private struct State {
        var next: UInt64 = 0
        var continuations: [UInt64: AsyncStream<Value>.Continuation] = [:]
        var finished = false
    }
    private let state = Mutex(State())

    public init() {}

    /// A stream of every value yielded after this call. Ends when the broadcaster finishes or the consumer
    /// stops iterating.
    public func subscribe() -> AsyncStream<Value> {
        let (stream, continuation) = AsyncStream<Value>.makeStream(bufferingPolicy: .unbounded)
        let id: UInt64? = state.withLock { s in
            if s.finished { return nil }
            let id = s.next
            s.next += 1
            s.continuations[id] = continuation
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
        for c in targets { c.yield(value) }
    }

    public func finish() {
        let targets = state.withLock { s -> [AsyncStream<Value>.Continuation] in
            s.finished = true
            defer { s.continuations.removeAll() }
            return Array(s.continuations.values)
        }
        for c in targets { c.finish() }
    }

    public var subscriberCount: Int { state.withLock { $0.continuations.count } }
}
