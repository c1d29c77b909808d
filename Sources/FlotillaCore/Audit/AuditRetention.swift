public import Foundation

/// What the audit trail keeps (ADR 0018): at most ``maxRecords`` records, none older than ``maxAge``. Pure: the
/// leader's `AuditPruneDuty` reads the buckets and deletes what this decides.
public struct AuditRetention: Sendable, Equatable {
    public var maxRecords: Int
    public var maxAge: TimeInterval

    /// Defaults: 100,000 records, 30 days.
    public init(maxRecords: Int = 100_000, maxAge: TimeInterval = 30 * 86_400) {
        self.maxRecords = max(1, maxRecords)
        self.maxAge = max(1, maxAge)
    }

    /// The hours (from `hours`) whose every record is older than the age bound at `now`: their buckets go whole,
    /// unread.
    public func expiredHours(_ hours: [Int], now: Date) -> [Int] {
        let oldest = now.addingTimeInterval(-maxAge)
        return hours.filter { AuditRecord.start(ofHour: $0 + 1) <= oldest }.sorted()
    }

    /// The records to delete, from `records` (each one's store key and time, in any order): those older than
    /// the age bound at `now`, then the oldest beyond ``maxRecords``. Returned oldest first.
    public func expired(_ records: [(key: String, at: Date)], now: Date) -> [String] {
        let oldest = now.addingTimeInterval(-maxAge)
        let sorted = records.sorted { ($0.at, $0.key) < ($1.at, $1.key) }
        let tooOld = sorted.prefix { $0.at < oldest }.count
        let beyond = max(0, sorted.count - maxRecords)
        return sorted.prefix(max(tooOld, beyond)).map(\.key)
    }

    /// Parses a duration such as `30d`, `12h`, `90m` or `3600s` (`--audit-max-age`); nil for anything else.
    public static func parseAge(_ text: String) -> TimeInterval? {
        guard let unit = text.last, let n = Int(text.dropLast()), n > 0 else { return nil }
        switch unit {
        case "d": return TimeInterval(n) * 86_400
        case "h": return TimeInterval(n) * 3600
        case "m": return TimeInterval(n) * 60
        case "s": return TimeInterval(n)
        default: return nil
        }
    }
}
