import FlotillaCore
import Foundation
import Synchronization

/// The uses of keys this host has seen and not yet written (ADR 0019). A request only notes its key here (a lock
/// and a dictionary write); ``KeyUsageRecorder`` writes the notes to the keys' records. Each key is noted at most
/// once per ``interval`` on this host.
public final class KeyUsage: Sendable {
    /// The least time between two notes of the same key.
    public static let interval: Duration = .seconds(60)

    private struct State {
        /// When each key was last noted, on the monotonic clock.
        var noted: [String: ContinuousClock.Instant] = [:]
        /// Uses to write: the key's secret hash, and when it was used.
        var pending: [String: Date] = [:]
    }

    private let state = Mutex(State())
    private let clock = ContinuousClock()

    public init() {}

    /// Notes a use of `record`'s key at `now`, unless it was noted less than ``interval`` ago.
    public func note(_ record: APIKeyRecord, now: Date) {
        let instant = clock.now
        state.withLock { state in
            if let last = state.noted[record.id], instant - last < Self.interval { return }
            state.noted[record.id] = instant
            state.pending[record.secretHash] = now
        }
    }

    /// Takes the uses to write, leaving none.
    func drain() -> [String: Date] {
        state.withLock { state in
            defer { state.pending = [:] }
            return state.pending
        }
    }

    /// Forgets the notes of keys not in `ids` (deleted keys) and those older than ``interval``.
    func retain(_ ids: Set<String>) {
        let instant = clock.now
        state.withLock { state in
            state.noted = state.noted.filter { ids.contains($0.key) && instant - $0.value < Self.interval }
        }
    }
}
