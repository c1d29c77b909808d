import FlotillaCore
import Foundation
import Logging

/// The audit trail in the cluster store (ADR 0018): records under `/flotilla-audit/records/<hour>/<ULID>`, one
/// marker per hour bucket under `/flotilla-audit/hours/`. Outside the registry's prefix: no host keeps the trail
/// in memory; a read lists the markers, then reads the buckets it needs, one range call each.
public struct AuditLog: Sendable {
    let store: any ClusterStore
    let calmLog: CalmLogger
    /// How long one write may take before the request goes on without it.
    let writeDeadline: Duration

    /// How many hour buckets one page reads at most; a page that stops there hands out a cursor after the last.
    public static let bucketsPerPage = 168

    public init(
        store: any ClusterStore, writeDeadline: Duration = .seconds(2), logger: Logger = Logger(label: "flotilla.audit")
    ) {
        self.store = store
        self.writeDeadline = writeDeadline
        self.calmLog = CalmLogger(logger, window: 60)
    }

    /// Writes `record` within the write deadline. Never throws: a failure is logged (once per minute and kind) and
    /// the request it describes goes on; the trail then misses that record.
    public func record(_ record: AuditRecord) async {
        let store = self.store
        do {
            let value = try StoreCodec.encode(record)
            let ops: [TxnOp] = [
                .put(StoreKeys.auditRecord(hour: record.hour, id: record.id), value),
                .put(StoreKeys.auditHour(record.hour), Data()),
            ]
            _ = try await withDeadline(writeDeadline) { try await store.txn([], then: ops, otherwise: []) }
        } catch {
            calmLog.warning(
                "audit record not written", kind: "\(type(of: error))",
                metadata: ["route": "\(record.route)", "requestId": "\(record.requestId)", "error": "\(error)"])
        }
    }

    /// The hour buckets present, oldest first.
    public func hours(deadline: Duration = .seconds(5)) async throws -> [Int] {
        let store = self.store
        let listing = try await withDeadline(deadline) { try await store.range(prefix: StoreKeys.auditHours) }
        return listing.kvs.compactMap { Int($0.key.dropFirst(StoreKeys.auditHours.count)) }.sorted()
    }

    /// The records of one bucket, by id (records that do not decode are skipped).
    public func bucket(_ hour: Int, deadline: Duration = .seconds(5)) async throws -> [(key: String, record: AuditRecord)] {
        let store = self.store
        let listing = try await withDeadline(deadline) { try await store.range(prefix: StoreKeys.auditBucket(hour: hour)) }
        return listing.kvs.compactMap { kv in
            (try? StoreCodec.decode(AuditRecord.self, from: kv.value)).map { (kv.key, $0) }
        }
    }

    /// One page of the trail, oldest first, and the cursor of the next one (nil: nothing after this page).
    public func page(_ query: AuditQuery) async throws -> (records: [AuditRecord], next: AuditCursor?) {
        let all = try await hours()
        guard let oldest = all.first else { return ([], nil) }
        let first = query.firstHour(oldest: oldest)
        let hours = all.filter { $0 >= first }
        var page: [AuditRecord] = []
        for (index, hour) in hours.enumerated() {
            let admitted = query.admitted(try await bucket(hour).map(\.record), hour: hour)
            let room = query.limit - page.count
            page += admitted.prefix(room)
            if page.count == query.limit {
                let more = admitted.count > room || index + 1 < hours.count
                return (page, more ? AuditCursor(hour: hour, afterId: page.last?.id) : nil)
            }
            if index + 1 == Self.bucketsPerPage && index + 1 < hours.count {
                return (page, AuditCursor(hour: hour, afterId: nil))
            }
        }
        return (page, nil)
    }
}
