import FlotillaCore
import Synchronization

/// Wakes one watcher when a revision newer than the one it has delivered is committed.
///
/// It carries no events: the watcher reads them from the history table, so a slow consumer costs the
/// writers nothing and never buffers in memory.
final class WatchSignal: Sendable {
    private struct State {
        var latest: Revision
        var closed = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state: Mutex<State>

    init(latest: Revision) {
        state = Mutex(State(latest: latest))
    }

    /// Whether the store was closed.
    var isClosed: Bool { state.withLock { $0.closed } }

    /// Records that `revision` was committed and wakes the waiter if it waits for it.
    func notify(_ revision: Revision) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.latest = max(s.latest, revision)
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    /// Wakes the waiter for good: the store is closing.
    func close() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.closed = true
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    /// Returns once a revision greater than `revision` was committed, the store closed, or the task was
    /// cancelled. One waiter at a time (the single consumer of one watch stream).
    func wait(beyond revision: Revision) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.latest > revision || s.closed || Task.isCancelled { return true }
                    s.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
                defer { s.waiter = nil }
                return s.waiter
            }
            waiter?.resume()
        }
    }
}
