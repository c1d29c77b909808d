import FlotillaCore

extension EtcdClusterStore {
    /// Every change under `prefix` from `fromRevision` (inclusive; `<= 0` means from the revision after the
    /// one etcd is at when the watch is set up), one ``WatchBatch`` per revision, in order.
    ///
    /// One streaming `/v3/watch` request per watch, read as newline-delimited JSON with a size limit per
    /// message. When its member fails (or loses its leader: the watch asks etcd to cancel it then), the watch
    /// reconnects to the next member from the revision after the last one it received, for up to
    /// `watchReconnectWindow`, so nothing is missed or repeated; after that it fails with
    /// ``StoreError/unavailable(_:)``. It fails with ``StoreError/compacted(requested:oldest:)`` when etcd
    /// says the revision it needs was compacted. Cancelling the consuming task ends it and closes the request.
    public func watch(prefix: String, fromRevision: Revision) -> AsyncThrowingStream<WatchBatch, any Error> {
        let cursor = EtcdWatchCursor(
            transport: transport, prefix: prefix, fromRevision: fromRevision, maxMessageBytes: maxWatchMessageBytes,
            reconnectWindow: watchReconnectWindow, logger: logger)
        return AsyncThrowingStream(unfolding: { try await cursor.next() })
    }
}
