import FlotillaCore
import Synchronization

/// The in-process registry of watchers of one store, told about every commit.
final class WatchHub: Sendable {
    private struct State {
        var signals: [UInt64: WatchSignal] = [:]
        var nextID: UInt64 = 0
        /// The newest committed revision published so far.
        var revision: Revision
        var closed = false
    }

    private let state: Mutex<State>

    init(revision: Revision) {
        state = Mutex(State(revision: revision))
    }

    /// The number of registered watchers.
    var count: Int { state.withLock { $0.signals.count } }

    /// The newest committed revision published so far.
    var revision: Revision { state.withLock { $0.revision } }

    /// Registers a watcher; returns its id, its signal, and the newest revision committed before it was
    /// registered (every later commit will notify the signal).
    func register() -> (id: UInt64, signal: WatchSignal, revision: Revision) {
        state.withLock { s in
            let id = s.nextID
            s.nextID += 1
            let signal = WatchSignal(latest: s.revision)
            if s.closed { signal.close() } else { s.signals[id] = signal }
            return (id, signal, s.revision)
        }
    }

    func unregister(_ id: UInt64) {
        _ = state.withLock { $0.signals.removeValue(forKey: id) }
    }

    /// Tells every watcher that `revision` was committed.
    func publish(_ revision: Revision) {
        let signals = state.withLock { s -> [WatchSignal] in
            s.revision = max(s.revision, revision)
            return Array(s.signals.values)
        }
        for signal in signals { signal.notify(revision) }
    }

    /// Ends every watch: the store is closing.
    func close() {
        let signals = state.withLock { s -> [WatchSignal] in
            s.closed = true
            defer { s.signals.removeAll() }
            return Array(s.signals.values)
        }
        for signal in signals { signal.close() }
    }
}
