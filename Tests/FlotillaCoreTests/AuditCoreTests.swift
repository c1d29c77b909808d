import FlotillaCore
import Foundation
import Testing

/// The audit trail's pure core (ADR 0018): what retention deletes, how a query is parsed and filtered, what a cursor
/// is, which request ids a client may choose, and that bucket keys sort by time.
@Suite("Audit core")
struct AuditCoreTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_123)

    static func at(_ secondsAgo: TimeInterval) -> Date { now.addingTimeInterval(-secondsAgo) }

    /// (records' ages in seconds, max records, max age in seconds, indexes deleted, oldest first).
    @Test(
        arguments: [
            ([10.0, 20, 30], 10, 100.0, [Int]()),  // within both bounds
            ([10, 20, 30], 2, 100, [2]),  // one beyond the count: the oldest goes
            ([10, 20, 30], 1, 100, [2, 1]),  // two beyond the count
            ([10, 200, 30], 10, 100, [1]),  // one too old
            ([10, 200, 300], 2, 100, [2, 1]),  // too old dominates the count
            ([10, 200, 300, 20], 1, 100, [2, 1, 3]),  // both bounds: age first, then count
            ([100, 50], 5, 100, []),  // exactly at the age bound: kept (only older goes)
            ([Double](), 1, 1, [Int]()),  // nothing to do
        ] as [([Double], Int, Double, [Int])])
    func retention(_ ages: [Double], _ maxRecords: Int, _ maxAge: Double, _ deleted: [Int]) {
        let records = ages.enumerated().map { (key: "k\($0.offset)", at: Self.at($0.element)) }
        let expired = AuditRetention(maxRecords: maxRecords, maxAge: maxAge).expired(records, now: Self.now)
        #expect(expired == deleted.map { "k\($0)" })
    }

    @Test func expiredHoursAreThoseWhollyPastTheAgeBound() {
        let nowHour = AuditRecord.hour(of: Self.now)
        let retention = AuditRetention(maxRecords: 10, maxAge: 3 * 3600)
        let hours = [nowHour - 5, nowHour - 4, nowHour - 3, nowHour - 2, nowHour]
        // now - 3 h lies inside hour nowHour - 3 (now is not on an hour boundary): that bucket is read, not dropped.
        #expect(Self.now.timeIntervalSince1970.truncatingRemainder(dividingBy: 3600) != 0)
        #expect(retention.expiredHours(hours, now: Self.now) == [nowHour - 5, nowHour - 4])
    }

    @Test(
        arguments: [
            ("30d", 30 * 86_400.0), ("12h", 43_200), ("90m", 5400), ("3600s", 3600), ("0d", nil), ("-1d", nil), ("5w", nil),
            ("d", nil), ("", nil), ("1.5h", nil),
        ] as [(String, Double?)])
    func ages(_ text: String, _ seconds: Double?) {
        #expect(AuditRetention.parseAge(text) == seconds)
    }

    @Test func queryDefaultsAndEveryParameter() throws {
        #expect(try AuditQuery.parse([]) == AuditQuery(limit: 100))
        let cursor = AuditCursor(hour: 500_000, afterId: ULID(date: Self.now).description)
        let q = try AuditQuery.parse([
            ("key", "ci"), ("target", "vm-1"), ("since", "2027-01-15T08:00:00Z"), ("limit", "7"), ("cursor", cursor.encoded),
            ("limit", "7"),
        ])
        #expect(q.key == "ci" && q.target == "vm-1" && q.limit == 7 && q.cursor == cursor)
        #expect(q.since == AuditQuery.parseTime("2027-01-15T08:00:00Z"))
        #expect(AuditQuery.parseTime("2027-01-15T08:00:00.250Z") != nil)
    }

    /// Every malformed query names the parameter it refuses.
    @Test(arguments: [
        ("bogus", "1", "bogus"), ("limit", "0", "limit"), ("limit", "1001", "limit"), ("limit", "ten", "limit"),
        ("since", "yesterday", "since"), ("since", "2027-01-15", "since"), ("cursor", "!!", "cursor"),
        ("cursor", "djE6MTI6", "cursor"),  // "v1:12:" decodes, but names hour 12 with no id: valid
        ("cursor", "eDox", "cursor"), ("key", "", "key"), ("target", String(repeating: "t", count: 129), "target"),
    ])
    func badQueries(_ name: String, _ value: String, _ field: String) throws {
        if value == "djE6MTI6" {
            #expect(try AuditQuery.parse([(name, value)]).cursor == AuditCursor(hour: 12, afterId: nil))
            return
        }
        #expect {
            try AuditQuery.parse([(name, value)])
        } throws: { error in
            let error = error as? FlotillaError
            return error?.code == .validationError && error?.details["field"] == .string(field)
        }
    }

    @Test func aRepeatedParameterWithAnotherValueIsRefused() {
        #expect(throws: FlotillaError.self) { try AuditQuery.parse([("key", "a"), ("key", "b")]) }
    }

    @Test func cursorsRoundTripAndRefuseWhatNoPageGaveOut() {
        for cursor in [AuditCursor(hour: 0, afterId: nil), AuditCursor(hour: 491_234, afterId: ULID().description)] {
            #expect(AuditCursor(encoded: cursor.encoded) == cursor)
            #expect(cursor.encoded.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        }
        let notAnId = Data("v1:5:not-a-ulid".utf8).base64EncodedString()
        #expect(AuditCursor(encoded: notAnId) == nil)
        #expect(AuditCursor(encoded: Data("v2:5:".utf8).base64EncodedString()) == nil)
        #expect(AuditCursor(encoded: Data("v1:-5:".utf8).base64EncodedString()) == nil)
        #expect(AuditCursor(encoded: "") == nil)
    }

    /// Filters: key by id or name, target, since; and the cursor's position inside its bucket.
    @Test func admittedRecords() throws {
        func record(_ i: Int, key: String?, target: String?) -> AuditRecord {
            let at = Self.at(Double(100 - i))
            return AuditRecord(
                id: ULID(milliseconds: UInt64(at.timeIntervalSince1970 * 1000), random: Array(repeating: UInt8(i), count: 10))
                    .description, at: at, requestId: "r\(i)", keyId: key.map { "id-\($0)" }, keyName: key, role: .operator,
                remoteAddress: "127.0.0.1:1", surface: "compute", method: "POST", route: "/x", targetId: target, status: 200)
        }
        let bucket = [record(0, key: "a", target: "t1"), record(1, key: "b", target: "t1"), record(2, key: nil, target: "t2")]
        let hour = bucket[0].hour
        #expect(try AuditQuery.parse([("key", "a")]).admitted(bucket, hour: hour) == [bucket[0]])
        #expect(try AuditQuery.parse([("key", "id-b")]).admitted(bucket, hour: hour) == [bucket[1]])
        #expect(try AuditQuery.parse([("target", "t1")]).admitted(bucket, hour: hour) == [bucket[0], bucket[1]])
        let since = AuditQuery(since: bucket[1].at)
        #expect(since.admitted(bucket, hour: hour) == [bucket[1], bucket[2]])
        let after = AuditQuery(cursor: AuditCursor(hour: hour, afterId: bucket[0].id))
        #expect(after.admitted(bucket, hour: hour) == [bucket[1], bucket[2]])
        #expect(AuditQuery(cursor: AuditCursor(hour: hour, afterId: nil)).admitted(bucket, hour: hour).isEmpty)
        #expect(after.admitted(bucket, hour: hour + 1) == bucket)
    }

    @Test(arguments: [
        ("abc-123_X.y", true), (String(repeating: "a", count: 64), true), (String(repeating: "a", count: 65), false),
        ("", false), ("a b", false), ("a\r\nX-Evil: 1", false), ("ünï", false), ("a/b", false),
    ])
    func requestIds(_ incoming: String, _ kept: Bool) {
        #expect(RequestId.isSafe(incoming) == kept)
        let resolved = RequestId.resolve(incoming)
        #expect((resolved == incoming) == kept)
        #expect(RequestId.isSafe(resolved))
    }

    @Test func bucketKeysSortAsTheirHoursDo() {
        let hours = [7, 99, 100, 491_234, 1_000_000]
        let keys = hours.map { StoreKeys.auditBucket(hour: $0) }
        #expect(keys == keys.sorted())
        #expect(!StoreKeys.auditRecords.hasPrefix(StoreKeys.root) && !StoreKeys.auditHours.hasPrefix(StoreKeys.root))
    }
}
