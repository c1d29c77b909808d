import Synchronization

/// Hands the ids of instances whose state may have changed to every follower of a backend's changes (each
/// `followChanges` call is one subscriber). Synchronous and lock-based, so that a process's reaper thread
/// can notify without a hop; each subscriber reads its own bounded stream, so a slow one delays nobody (and
/// drops its oldest ids past ``bufferLimit``: the periodic resync covers those).
final class ChangeFanOut: Sendable {
    /// Ids buffered per subscriber.
    static let bufferLimit = 1024

    private struct State {
        var next: UInt64 = 0
        var subscribers: [UInt64: AsyncStream<String>.Continuation] = [:]
        var closed = false
    }
    private let state = Mutex(State())

    /// A new subscription: its token and its stream of ids; nil once the fan-out is closed.
    func subscribe() -> (token: UInt64, ids: AsyncStream<String>)? {
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(Self.bufferLimit))
        let token: UInt64? = state.withLock { s in
            guard !s.closed else { return nil }
            s.next += 1
            s.subscribers[s.next] = continuation
            return s.next
        }
        guard let token else { return nil }
        return (token, stream)
    }

    func unsubscribe(_ token: UInt64) {
        state.withLock { $0.subscribers.removeValue(forKey: token) }?.finish()
    }

    /// Tells every subscriber that instance `id` may have changed.
    func notify(_ id: String) {
        for continuation in state.withLock({ Array($0.subscribers.values) }) { continuation.yield(id) }
    }

    /// Ends every subscription; later ones are refused.
    func close() {
        let all = state.withLock { s in
            s.closed = true
            defer { s.subscribers = [:] }
            return Array(s.subscribers.values)
        }
        for continuation in all { continuation.finish() }
    }

    var subscriberCount: Int { state.withLock { $0.subscribers.count } }
}
