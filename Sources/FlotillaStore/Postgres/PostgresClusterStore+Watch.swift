import FlotillaCore
import Foundation
import PostgresNIO

extension PostgresClusterStore {
    /// Every change under `prefix` from `fromRevision` (inclusive; `<= 0` means after the newest revision this
    /// host knows of), one ``WatchBatch`` per revision, in order, without gaps or duplicates.
    ///
    /// The stream replays `flotilla.events` and then follows new revisions, read from the same table: the
    /// listener's notifications and polls only say when to read (``PostgresRevisionListener``), so a lost
    /// notification delays an event by at most a poll interval and never drops it. Fails with
    /// ``StoreError/compacted(requested:oldest:)`` when the history it needs was compacted, and with
    /// ``StoreError/unavailable(_:)`` when the store is closed or the database fails.
    public func watch(prefix: String, fromRevision: Revision) -> AsyncThrowingStream<WatchBatch, any Error> {
        let cursor = WatchCursor(
            hub: hub, prefix: prefix, fromRevision: fromRevision, mapError: { Self.mapped($0, "watch") }
        ) { [self] prefix, after, window in
            try await history(prefix: prefix, after: after, window: window)
        }
        return AsyncThrowingStream(unfolding: { try await cursor.next() })
    }

    /// One window of history, read in one statement (one snapshot): the meta row and the events after `after`.
    private func history(prefix: String, after: Revision, window: Revision) async throws -> (
        events: [WatchEvent], through: Revision, current: Revision
    ) {
        let end = prefix.prefixUpperBound
        return try await call("watch") { client in
            let rows = try await client.query(
                """
                SELECT m.revision, m.compact_revision, e.kind, e.key, e.value, e.create_revision, e.mod_revision, e.version, e.lease
                FROM flotilla.meta m LEFT JOIN flotilla.events e
                    ON e.revision > \(after) AND e.revision <= LEAST(m.revision, \(after + window))
                    AND flotilla.in_range(e.key, \(prefix), \(end))
                WHERE m.id = 1 ORDER BY e.revision, e.seq
                """)
            var (current, compacted): (Revision, Revision) = (0, 0)
            var events: [WatchEvent] = []
            for try await row in rows {
                let (revision, compact, kind, key, value, create, mod, version, lease) = try row.decode(
                    (Int64, Int64, Int16?, String?, Data?, Int64?, Int64?, Int64?, Int64?).self)
                (current, compacted) = (revision, compact)
                guard let kind, let key, let value, let create, let mod, let version else { continue }
                let kv = KeyValue(
                    key: key, value: value, createRevision: create, modRevision: mod, version: version, lease: lease.map(LeaseID.init))
                events.append(WatchEvent(kind: kind == 0 ? .put : .delete, kv: kv))
            }
            guard after >= compacted else { throw StoreError.compacted(requested: after + 1, oldest: compacted + 1) }
            return (events, max(after, min(current, after + window)), current)
        }
    }
}
