import FlotillaCore
import GRDB

/// The state of one watch stream: the next revision to deliver, read from the `events` table on demand.
///
/// The consumer drives it (the stream is built with `AsyncThrowingStream(unfolding:)`), so there is no
/// producer task and no in-memory buffer: a slow consumer only falls behind in the history, and fails with
/// ``StoreError/compacted(requested:oldest:)`` if that history is compacted away before it reads it.
actor SQLiteWatchCursor {
    /// How many revisions one read of the history covers at most.
    static let window: Revision = 1024

    private let pool: DatabasePool
    private let hub: WatchHub
    private let id: UInt64
    private let signal: WatchSignal
    private let prefix: String
    /// Every revision up to and including this one has been delivered (or skipped).
    private var delivered: Revision
    /// Batches read but not yet delivered, one per revision, in order.
    private var pending: [WatchBatch] = []
    private var finished = false

    /// Registers with `hub` at once, so no commit after this call is missed.
    /// `fromRevision <= 0` starts after the newest revision committed so far.
    init(pool: DatabasePool, hub: WatchHub, prefix: String, fromRevision: Revision) {
        let registration = hub.register()
        self.pool = pool
        self.hub = hub
        self.id = registration.id
        self.signal = registration.signal
        self.prefix = prefix
        self.delivered = fromRevision > 0 ? fromRevision - 1 : registration.revision
    }

    deinit {
        hub.unregister(id)
    }

    /// The next batch, nil once the consumer's task is cancelled. Throws when history it needs was
    /// compacted, the store closed, or the database failed; the stream then ends.
    func next() async throws -> WatchBatch? {
        guard !finished else { return nil }
        do {
            while pending.isEmpty {
                if Task.isCancelled {
                    finish()
                    return nil
                }
                if signal.isClosed { throw StoreError.unavailable("the store was closed") }
                let caughtUp = try await readHistory()
                if pending.isEmpty && caughtUp { await signal.wait(beyond: delivered) }
            }
            return pending.removeFirst()
        } catch {
            finish()
            if error is CancellationError || Task.isCancelled { return nil }
            throw SQLiteClusterStore.mapped(error)
        }
    }

    /// Reads the next window of history into `pending`; returns whether it reached the current revision.
    private func readHistory() async throws -> Bool {
        let (prefix, after, window) = (self.prefix, self.delivered, Self.window)
        let (events, through, current) = try await pool.read { db in
            let compacted = try SQLiteQueries.compactRevision(db)
            guard after >= compacted else {
                throw StoreError.compacted(requested: after + 1, oldest: compacted + 1)
            }
            let current = try SQLiteQueries.currentRevision(db)
            let through = min(current, after + window)
            guard through > after else { return ([WatchEvent](), after, current) }
            return (try SQLiteQueries.events(db, prefix: prefix, after: after, through: through), through, current)
        }
        delivered = through
        var batch: [WatchEvent] = []
        for event in events {
            if let last = batch.last, last.revision != event.revision {
                pending.append(WatchBatch(events: batch))
                batch.removeAll()
            }
            batch.append(event)
        }
        if !batch.isEmpty { pending.append(WatchBatch(events: batch)) }
        return through >= current
    }

    private func finish() {
        finished = true
        pending.removeAll()
        hub.unregister(id)
    }
}
