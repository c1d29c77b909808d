import FlotillaCore

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
        let cursor = SQLiteWatchCursor(pool: pool, hub: hub, prefix: prefix, fromRevision: fromRevision)
        return AsyncThrowingStream(unfolding: { try await cursor.next() })
    }
}
