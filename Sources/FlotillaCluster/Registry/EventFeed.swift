import FlotillaCore
import ServiceLifecycle

/// One item of an event stream: the events of one store batch (never split, so that a client resuming from
/// the revision of the last event it got misses none of that revision's events), or a keep-alive when nothing happened for a while (lets the
/// server notice a client that went away).
public enum FeedItem: Sendable, Equatable {
    case events([ClusterEvent])
    case idle
}

/// The lifecycle log as a stream of ``ClusterEvent``s, read from the store's own watch (one watch per
/// stream), so that any revision the store still holds can be resumed from.
public struct EventFeed: Sendable {
    let store: any ClusterStore
    let registry: RegistryCache
    /// Counts the open streams (`flotilla_event_stream_subscribers`, ADR 0021).
    let metrics: ClusterMetrics

    public init(store: any ClusterStore, registry: RegistryCache, metrics: ClusterMetrics = .off) {
        self.store = store
        self.registry = registry
        self.metrics = metrics
    }

    /// Events of revisions after `since` (after this host's current revision when nil), until the consumer
    /// stops, the store fails, or graceful shutdown. REVISION_COMPACTED when the store no longer holds them.
    /// With `until`, the stream ends once the watch delivered a batch at or past that revision (at once when
    /// `until` is not after the start): a reader of the past gets an exact end instead of guessing from silence.
    public func events(after since: Revision?, until: Revision? = nil, idleEvery: Duration = .seconds(15)) async throws(FlotillaError)
        -> AsyncThrowingStream<FeedItem, any Error>
    {
        var mapper = ClusterEventMapper()
        let start: Revision
        if let since {
            if since < 0 || since == .max { throw .validation("since must be a revision from 0 to \(Int64.max - 1)", field: "since") }
            let status: StoreStatus
            do { status = try await store.status() } catch {
                throw FlotillaError(.storeUnavailable, "The cluster store is not available", cause: "\(error)")
            }
            if since + 1 < status.oldestRevision {
                throw Self.compacted(requested: since, oldest: status.oldestRevision)
            }
            start = since
        } else {
            let snapshot = registry.snapshot
            mapper = ClusterEventMapper(seed: snapshot)
            start = snapshot.revision
        }
        let store = self.store
        let seeded = mapper
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: FeedItem.self)
        if let until, until <= start {
            continuation.finish()
            return stream
        }
        let watcher = Task {
            do {
                try await cancelWhenGracefulShutdown {
                    var mapper = seeded
                    for try await batch in store.watch(prefix: StoreKeys.root, fromRevision: start + 1) {
                        let events = batch.events.compactMap { mapper.map($0) }
                        if !events.isEmpty { continuation.yield(.events(events)) }
                        if let until, let last = batch.events.last?.revision, last >= until { break }
                    }
                }
                continuation.finish()
            } catch StoreError.compacted(let requested, let oldest) {
                continuation.finish(throwing: Self.compacted(requested: requested - 1, oldest: oldest))
            } catch {
                continuation.finish(throwing: error)
            }
        }
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: idleEvery)
                if Task.isCancelled { break }
                continuation.yield(.idle)
            }
        }
        let metrics = self.metrics
        metrics.eventStreamOpened()
        continuation.onTermination = { _ in
            watcher.cancel()
            ticker.cancel()
            metrics.eventStreamClosed()
        }
        return stream
    }

    static func compacted(requested: Revision, oldest: Revision) -> FlotillaError {
        FlotillaError(
            .revisionCompacted,
            "Revision \(requested) has been compacted; the oldest revision still available is \(oldest): resume with since=\(oldest - 1) or later",
            details: ["since": .int(requested), "oldestRevision": .int(oldest)])
    }
}
