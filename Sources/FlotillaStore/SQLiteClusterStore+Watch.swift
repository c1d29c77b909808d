import FlotillaCore
import GRDB

extension SQLiteClusterStore {
    /// Every change under `prefix` from `fromRevision` (inclusive; `<= 0` means after the newest revision
    /// committed when this is called), one ``WatchBatch`` per revision, in order, without gaps or duplicates.
    ///
    /// The stream first replays the `events` history, then follows commits as they happen; both come from the
    /// same table, so there is no seam between them. Nothing is buffered in memory: a slow consumer falls
    /// behind in the history and never slows writers. The stream fails with
    /// ``StoreError/compacted(requested:oldest:)`` when the history it needs was compacted, and with
    /// ``StoreError/unavailable(_:)`` when the store is closed. Cancelling the consuming task ends it and
    /// unregisters the watcher.
    public func watch(prefix: String, fromRevision: Revision) -> AsyncThrowingStream<WatchBatch, any Error> {
        let pool = self.pool
        let cursor = WatchCursor(hub: hub, prefix: prefix, fromRevision: fromRevision, mapError: Self.mapped) { prefix, after, window in
            try await pool.read { db in
                let compacted = try SQLiteQueries.compactRevision(db)
                guard after >= compacted else {
                    throw StoreError.compacted(requested: after + 1, oldest: compacted + 1)
                }
                let current = try SQLiteQueries.currentRevision(db)
                let through = min(current, after + window)
                guard through > after else { return ([WatchEvent](), after, current) }
                return (try SQLiteQueries.events(db, prefix: prefix, after: after, through: through), through, current)
            }
        }
        return AsyncThrowingStream(unfolding: { try await cursor.next() })
    }
}
