import FlotillaCore
import Foundation
import Logging

/// The leader keeps the audit trail within its bounds (ADR 0018): every ``interval`` it deletes whole hour
/// buckets past the age bound (unread, one transaction each), then reads the rest and deletes what
/// ``AuditRetention`` says, in batches, each a fenced transaction with a deadline; a bucket left empty loses its
/// marker (the current hour's is kept).
public struct AuditPruneDuty: LeaderDuty {
    public let name = "audit-prune"
    let log: AuditLog
    let store: any ClusterStore
    let retention: AuditRetention
    let interval: Duration
    let clock: WallClock
    let logger: Logger

    /// Deletes per transaction (etcd refuses more than 128 operations in one).
    static let batchSize = 100

    public init(
        store: any ClusterStore, retention: AuditRetention, interval: Duration = .seconds(60),
        clock: WallClock = .system, logger: Logger = Logger(label: "flotilla.audit")
    ) {
        self.store = store
        self.log = AuditLog(store: store, logger: logger)
        self.retention = retention
        self.interval = interval
        self.clock = clock
        self.logger = logger
    }

    public func lead(_ leadership: Leadership) async throws {
        while !Task.isCancelled {
            do { try await prune(leadership) } catch is CancellationError { throw CancellationError() } catch {
                logger.warning("audit trail not pruned this round", metadata: ["error": "\(error)"])
            }
            try await Task.sleep(for: interval)
        }
    }

    /// One round; returns how many records it deleted one by one plus how many whole buckets it dropped.
    @discardableResult
    public func prune(_ leadership: Leadership) async throws -> Int {
        let time = clock.now
        var hours = try await log.hours()
        var deleted = 0
        for hour in retention.expiredHours(hours, now: time) {
            try await write(leadership, [.deletePrefix(StoreKeys.auditBucket(hour: hour)), .delete(key: StoreKeys.auditHour(hour))])
            hours.removeAll { $0 == hour }
            deleted += 1
        }
        var records: [(key: String, at: Date, hour: Int)] = []
        for hour in hours {
            records += try await log.bucket(hour).map { ($0.key, $0.record.at, hour) }
        }
        let doomed = retention.expired(records.map { ($0.key, $0.at) }, now: time)
        for start in stride(from: 0, to: doomed.count, by: Self.batchSize) {
            let batch = doomed[start..<min(start + Self.batchSize, doomed.count)]
            try await write(leadership, batch.map { .delete(key: $0) })
        }
        deleted += doomed.count
        let gone = Set(doomed)
        let kept = Set(records.filter { !gone.contains($0.key) }.map(\.hour))
        let current = AuditRecord.hour(of: time)
        for hour in hours where hour < current && !kept.contains(hour) {
            try await write(leadership, [.delete(key: StoreKeys.auditHour(hour))])
        }
        if deleted > 0 { logger.info("audit trail pruned", metadata: ["deleted": "\(deleted)"]) }
        return deleted
    }

    private func write(_ leadership: Leadership, _ ops: [TxnOp]) async throws {
        let store = self.store
        _ = try await withDeadline(.seconds(5)) { try await store.fencedTxn(leadership, [], then: ops) }
    }
}
