import FlotillaCore

/// One read of a store's history: the events under a prefix after a revision, up to a revision no further than
/// `window` ahead, with the revision read up to and the store's current revision. Throws
/// ``StoreError/compacted(requested:oldest:)`` when that history is gone.
typealias HistoryRead =
    @Sendable (_ prefix: String, _ after: Revision, _ window: Revision) async throws -> (
        events: [WatchEvent], through: Revision, current: Revision
    )

/// The state of one watch stream: the next revision to deliver, read from the store's history table on demand
/// (SQLite's and PostgreSQL's `events`).
///
/// The consumer drives it (the stream is built with `AsyncThrowingStream(unfolding:)`), so there is no
/// producer task and no in-memory buffer: a slow consumer only falls behind in the history, and fails with
/// ``StoreError/compacted(requested:oldest:)`` if that history is compacted away before it reads it.
actor WatchCursor {
    /// How many revisions one read of the history covers at most.
    static let window: Revision = 1024

    private let read: HistoryRead
    private let mapError: @Sendable (any Error) -> any Error
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
    /// `mapError` turns the reader's failures into store errors.
    init(
        hub: WatchHub, prefix: String, fromRevision: Revision, mapError: @escaping @Sendable (any Error) -> any Error,
        read: @escaping HistoryRead
    ) {
        let registration = hub.register()
        self.read = read
        self.mapError = mapError
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
            throw mapError(error)
        }
    }

    /// Reads the next window of history into `pending`; returns whether it reached the current revision.
    private func readHistory() async throws -> Bool {
        let (events, through, current) = try await read(prefix, delivered, Self.window)
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
