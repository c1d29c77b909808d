import FlotillaCore
import Foundation
import Testing

/// ADR 0019's pure rules: the token bucket, `--rate-limit`, key expiry and rotation.
@Suite struct KeyLimitsTests {
    // MARK: TokenBucket

    /// (seconds since start, expected outcome) for a bucket of 2 a second, burst 3.
    static let bucketSteps: [(Double, TokenBucket.Outcome)] = [
        (0, .admitted), (0, .admitted), (0, .admitted),  // the burst
        (0, .retryAfter(0.5)),  // empty: one token every 0.5 s
        (0.25, .retryAfter(0.25)),  // half a token back
        (0.5, .admitted),  // a whole one
        (0.5, .retryAfter(0.5)),
        (10, .admitted), (10, .admitted), (10, .admitted),  // refilled to the burst, never past it
        (10, .retryAfter(0.5)),
        (9, .retryAfter(0.5)),  // time that runs backwards adds nothing
    ]

    @Test func bucketAdmitsTheBurstThenOneTokenPerInterval() {
        var bucket = TokenBucket(rate: 2, burst: 3)
        for (i, (now, expected)) in Self.bucketSteps.enumerated() {
            let outcome = bucket.take(now: now)
            switch (outcome, expected) {
            case (.admitted, .admitted): break
            case (.retryAfter(let got), .retryAfter(let want)):
                #expect(abs(got - want) < 1e-9, "step \(i) at \(now): retry after \(got), expected \(want)")
            default: Issue.record("step \(i) at \(now): \(outcome), expected \(expected)")
            }
        }
    }

    @Test func bucketIsFullAgainOnceRefilled() {
        var bucket = TokenBucket(rate: 1, burst: 2)
        #expect(bucket.isFull(now: 0))
        _ = bucket.take(now: 0)
        #expect(!bucket.isFull(now: 0.5))
        #expect(bucket.isFull(now: 1))
    }

    @Test func retryAfterIsWholeSecondsRoundedUp() {
        #expect(FlotillaError.retryAfterSeconds(0.01) == 1)
        #expect(FlotillaError.retryAfterSeconds(1) == 1)
        #expect(FlotillaError.retryAfterSeconds(1.2) == 2)
        #expect(FlotillaError.retryAfterSeconds(.infinity) == 1)
        #expect(FlotillaError.rateLimited(retryAfter: 2.5).details["retryAfter"] == .int(3))
    }

    // MARK: RateLimits

    typealias Limit = RateLimits.Limit

    static let parsed: [(String, [Role: Limit])] = [
        (
            "reader=20/40,operator=50/100,admin=50/100",
            [.reader: Limit(rate: 20, burst: 40), .operator: Limit(rate: 50, burst: 100), .admin: Limit(rate: 50, burst: 100)]
        ),
        ("reader=5", [.reader: Limit(rate: 5, burst: 10), .operator: Limit(rate: 100, burst: 200), .admin: Limit(rate: 100, burst: 200)]),
        (
            "reader=0.5/1",
            [.reader: Limit(rate: 0.5, burst: 1), .operator: Limit(rate: 100, burst: 200), .admin: Limit(rate: 100, burst: 200)]
        ),
        (" admin = 0 , reader=1/1", [.reader: Limit(rate: 1, burst: 1), .operator: Limit(rate: 100, burst: 200)]),
        ("0", [:]),
    ]

    @Test(arguments: parsed)
    func rateLimitParses(_ text: String, _ expected: [Role: Limit]) throws {
        #expect(try RateLimits.parse(text).limits == expected)
    }

    static let refused: [(String, String)] = [
        ("reader", "must look like ROLE=RATE/BURST"),
        ("root=1/2", "'root' is not a role"),
        ("reader=-1/2", "the rate must be a number"),
        ("reader=abc", "the rate must be a number"),
        ("reader=1/0", "the burst must be a whole number from 1"),
        ("reader=1/1.5", "the burst must be a whole number"),
        ("reader=0/5", "a rate of 0 means unlimited"),
        ("reader=1/2,reader=2/4", "reader is given twice"),
        ("reader=1/2,", "must look like ROLE=RATE/BURST"),
        ("", "must look like ROLE=RATE/BURST"),
    ]

    @Test(arguments: refused)
    func rateLimitRefusesWithAReason(_ text: String, _ reason: String) {
        #expect(throws: RateLimitsError.self) { try RateLimits.parse(text) }
        do {
            _ = try RateLimits.parse(text)
        } catch {
            #expect(error.message.contains(reason), "\(text): \(error.message)")
            #expect(error.description.hasPrefix("--rate-limit: "))
        }
    }

    @Test func rateLimitsPrintAsTheyParse() throws {
        #expect(RateLimits.defaults.description == "reader=50/100,operator=100/200,admin=100/200")
        #expect(try RateLimits.parse(RateLimits.defaults.description) == .defaults)
        #expect(try RateLimits.parse("admin=0,reader=0.5/1").description == "reader=0.5/1,operator=100/200,admin=0")
    }

    // MARK: KeyExpiry

    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func record(expiresAt: Date?) -> APIKeyRecord {
        APIKeyRecord(id: "k1", name: "ci", role: .operator, secretHash: "ab", createdAt: t0, expiresAt: expiresAt)
    }

    static let expiry: [(TimeInterval?, TimeInterval, Bool)] = [
        (nil, 1e9, false),  // no expiry: never
        (60, 59, false), (60, 60, true), (60, 61, true),  // at expiresAt exactly it has expired
    ]

    @Test(arguments: expiry)
    func expiredFromItsExpiresAtOn(_ expiresIn: TimeInterval?, _ at: TimeInterval, _ expired: Bool) {
        let record = Self.record(expiresAt: expiresIn.map { Self.t0 + $0 })
        #expect(KeyExpiry.isExpired(record, now: Self.t0 + at) == expired)
    }

    @Test func aNewKeysExpiryIsInTheFutureAndAtMostFiveYearsAhead() throws {
        #expect(try KeyExpiry.validate(expiresAt: nil, now: Self.t0) == nil)
        #expect(try KeyExpiry.validate(expiresAt: Self.t0 + 1, now: Self.t0) == Self.t0 + 1)
        #expect(try KeyExpiry.validate(expiresAt: Self.t0 + KeyExpiry.maximumLifetime, now: Self.t0) != nil)
        for bad in [Self.t0, Self.t0 - 1, Self.t0 + KeyExpiry.maximumLifetime + 1] {
            #expect(throws: FlotillaError.self) { try KeyExpiry.validate(expiresAt: bad, now: Self.t0) }
        }
        do { _ = try KeyExpiry.validate(expiresAt: Self.t0 - 1, now: Self.t0) } catch {
            #expect(error.code == .validationError)
            #expect(error.details["field"] == .string("expiresAt"))
            #expect(error.message == "expiresAt must be in the future")
        }
    }

    @Test func graceIsZeroToThirtyDaysDefaultAnHour() throws {
        #expect(try KeyExpiry.validate(grace: nil) == 3600)
        #expect(try KeyExpiry.validate(grace: 0) == 0)
        #expect(try KeyExpiry.validate(grace: 30 * 86_400) == 30 * 86_400)
        #expect(throws: FlotillaError.self) { try KeyExpiry.validate(grace: -1) }
        #expect(throws: FlotillaError.self) { try KeyExpiry.validate(grace: 30 * 86_400 + 1) }
    }

    @Test func aRotatedKeyExpiresAfterTheGraceUnlessSooner() {
        #expect(KeyExpiry.rotatedExpiry(of: Self.record(expiresAt: nil), grace: 3600, now: Self.t0) == Self.t0 + 3600)
        #expect(KeyExpiry.rotatedExpiry(of: Self.record(expiresAt: Self.t0 + 60), grace: 3600, now: Self.t0) == Self.t0 + 60)
        #expect(KeyExpiry.rotatedExpiry(of: Self.record(expiresAt: Self.t0 + 7200), grace: 0, now: Self.t0) == Self.t0)
    }

    @Test func recordsFromBeforeExpiryDecodeWithout() throws {
        let old = #"{"id":"k","name":"n","role":"reader","secretHash":"ab","hashScheme":"hmac-sha256","createdAt":"2026-01-01T00:00:00Z"}"#
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let record = try decoder.decode(APIKeyRecord.self, from: Data(old.utf8))
        #expect(record.expiresAt == nil && record.lastUsedAt == nil && record.rotatedFrom == nil && record.rotatedTo == nil)
    }

    // MARK: KeyRotation

    static func stored(_ records: [APIKeyRecord]) -> [KeyRevocation.Stored] {
        records.enumerated().map { i, r in
            KeyRevocation.Stored(storeKey: StoreKeys.apiKey(hash: r.secretHash), record: r, modRevision: Int64(10 + i))
        }
    }

    @Test func rotationKeepsTheRoleAndExpiresTheOldKeyInOneChange() throws {
        let old = APIKeyRecord(id: "old", name: "ci", role: .admin, secretHash: "aa", createdAt: Self.t0)
        let plan = try KeyRotation.plan(
            "ci", among: Self.stored([old]), newSecretHash: "bb", newId: "new", options: .init(grace: 60), now: Self.t0 + 5)
        #expect(plan.created.role == .admin)
        #expect(plan.created.name == "ci-r2")
        #expect(plan.created.rotatedFrom == "old")
        #expect(plan.created.expiresAt == nil)
        #expect(plan.rotated.expiresAt == Self.t0 + 65)
        #expect(plan.rotated.rotatedTo == "new")
        #expect(
            plan.change.compares == [
                .unchanged(StoreKeys.apiKey(hash: "aa"), since: 10), .absent(StoreKeys.apiKey(hash: "bb")),
                .absent(RevokedAPIKey.storeKey(hash: "bb")),
            ])
        #expect(plan.change.ops.count == 2)
    }

    @Test func rotationRefusesUnknownKeysBadGraceAndTakenNames() {
        let a = APIKeyRecord(id: "a", name: "ci", role: .reader, secretHash: "aa", createdAt: Self.t0)
        let b = APIKeyRecord(id: "b", name: "web", role: .reader, secretHash: "cc", createdAt: Self.t0)
        let stored = Self.stored([a, b])
        let cases: [(String, KeyRotation.Options, FlotillaError.Code)] = [
            ("nope", .init(), .resourceNotFound),
            ("a", .init(grace: -1), .validationError),
            ("a", .init(name: "web"), .nameConflict),
            ("a", .init(name: "bad/name"), .validationError),
            ("a", .init(expiresAt: Self.t0 - 1), .validationError),
        ]
        for (target, options, code) in cases {
            do {
                _ = try KeyRotation.plan(target, among: stored, newSecretHash: "dd", newId: "n", options: options, now: Self.t0)
                Issue.record("\(target) \(options): not refused")
            } catch {
                #expect(error.code == code, "\(target) \(options): \(error)")
            }
        }
    }

    static let successors: [(String, [String], String)] = [
        ("ci", [], "ci-r2"),
        ("ci-r2", [], "ci-r3"),
        ("ci-r9", ["ci-r10"], "ci-r11"),
        ("ci", ["ci-r2"], "ci-r3"),
        ("web-1", [], "web-1-r2"),
        ("x-r1", [], "x-r1-r2"),
        (String(repeating: "a", count: 63), [], String(repeating: "a", count: 60) + "-r2"),
    ]

    @Test(arguments: successors)
    func successorNames(_ name: String, _ taken: [String], _ expected: String) {
        #expect(KeyRotation.successorName(of: name, taken: Set(taken + [name])) == expected)
    }
}
