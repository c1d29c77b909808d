public import Foundation

/// A read of the audit trail (`GET /api/v2/audit`), parsed in full before the store is read (ADR 0012): `key`
/// (a key's id or name), `target` (an instance, VM or other id), `since` (RFC 3339), `limit` (1...1000, default
/// 100) and `cursor` (a previous page's `nextCursor`). Anything else, repeated with different values, or
/// malformed, is a VALIDATION_ERROR naming the parameter.
public struct AuditQuery: Sendable, Equatable {
    public var key: String?
    public var target: String?
    public var since: Date?
    public var limit: Int
    public var cursor: AuditCursor?

    public static let parameters: Set<String> = ["key", "target", "since", "limit", "cursor"]
    public static let maxLimit = 1000
    public static let defaultLimit = 100

    public init(key: String? = nil, target: String? = nil, since: Date? = nil, limit: Int = defaultLimit, cursor: AuditCursor? = nil) {
        self.key = key
        self.target = target
        self.since = since
        self.limit = limit
        self.cursor = cursor
    }

    /// Parses the query's `(name, value)` pairs.
    public static func parse(_ pairs: [(String, String)]) throws(FlotillaError) -> AuditQuery {
        var values: [String: String] = [:]
        for (name, value) in pairs {
            guard parameters.contains(name) else {
                throw FlotillaError.validation(
                    "unknown query parameter \(name): the audit trail takes key, target, since, limit and cursor", field: name)
            }
            if let earlier = values[name], earlier != value {
                throw FlotillaError.validation("\(name) is given more than once with different values", field: name)
            }
            values[name] = value
        }
        var query = AuditQuery()
        for name in ["key", "target"] {
            guard let value = values[name] else { continue }
            guard !value.isEmpty, value.count <= 128 else {
                throw FlotillaError.validation("\(name) must be 1 to 128 characters", field: name)
            }
            if name == "key" { query.key = value } else { query.target = value }
        }
        if let text = values["since"] {
            guard let date = parseTime(text) else {
                throw FlotillaError.validation("since must be an RFC 3339 time such as 2026-01-02T03:04:05Z", field: "since")
            }
            query.since = date
        }
        if let text = values["limit"] {
            guard let n = Int(text), (1...maxLimit).contains(n) else {
                throw FlotillaError.validation("limit must be an integer from 1 to \(maxLimit)", field: "limit")
            }
            query.limit = n
        }
        if let text = values["cursor"] {
            guard let cursor = AuditCursor(encoded: text) else {
                throw FlotillaError.validation("cursor is not one a page of the audit trail handed out", field: "cursor")
            }
            query.cursor = cursor
        }
        return query
    }

    /// An RFC 3339 time, with or without fractional seconds.
    public static func parseTime(_ text: String) -> Date? {
        guard text.count <= 40 else { return nil }
        let plain = ISO8601DateFormatter()
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }

    /// The first hour bucket to read, given the oldest one present.
    public func firstHour(oldest: Int) -> Int {
        max(oldest, cursor?.hour ?? oldest, since.map(AuditRecord.hour(of:)) ?? oldest)
    }

    /// Whether `record` passes the filters (the key by id or name).
    public func admits(_ record: AuditRecord) -> Bool {
        if let key, record.keyId != key && record.keyName != key { return false }
        if let target, record.targetId != target { return false }
        if let since, record.at < since { return false }
        return true
    }

    /// The records of bucket `hour` (sorted by id) this page may show: after the cursor, passing the filters.
    public func admitted(_ bucket: [AuditRecord], hour: Int) -> [AuditRecord] {
        bucket.filter { record in
            if let cursor, cursor.hour == hour {
                guard let after = cursor.afterId else { return false }
                if record.id <= after { return false }
            }
            return admits(record)
        }
    }
}
