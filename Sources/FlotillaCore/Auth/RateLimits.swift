import Foundation

/// Per-role request rate limits (ADR 0019): requests a second and burst, per key and per host. A role without a
/// limit is unlimited. `--rate-limit reader=20/40,operator=50/100,admin=50/100`; `0` (for a role or alone) is
/// unlimited.
public struct RateLimits: Sendable, Equatable, CustomStringConvertible {
    /// One role's limit: `rate` requests a second on average, up to `burst` at once.
    public struct Limit: Sendable, Equatable {
        public var rate: Double
        public var burst: Int
        public init(rate: Double, burst: Int) {
            self.rate = rate
            self.burst = burst
        }
    }

    /// The limit of each role; a role missing here is unlimited.
    public var limits: [Role: Limit]

    public init(_ limits: [Role: Limit]) {
        self.limits = limits
    }

    /// The defaults: generous for people and scripts, a brake on a runaway loop. Readers (dashboards that poll)
    /// get 50 a second with bursts of 100, operators and admins 100 with bursts of 200.
    public static let defaults = RateLimits([
        .reader: Limit(rate: 50, burst: 100), .operator: Limit(rate: 100, burst: 200), .admin: Limit(rate: 100, burst: 200),
    ])

    /// No limit for any role.
    public static let unlimited = RateLimits([:])

    /// The limit of `role`, nil: unlimited.
    public func limit(for role: Role) -> Limit? { limits[role] }

    /// Parses `--rate-limit`: `0` (no limits) or comma-separated `ROLE=RATE/BURST` (`ROLE=RATE` takes a burst of
    /// twice the rate; `ROLE=0` leaves that role unlimited). Roles not named keep their default.
    public static func parse(_ text: String, base: RateLimits = .defaults) throws(RateLimitsError) -> RateLimits {
        let text = text.trimmingCharacters(in: .whitespaces)
        if text == "0" { return .unlimited }
        var result = base
        var seen: Set<Role> = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let part = part.trimmingCharacters(in: .whitespaces)
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pieces.count == 2 else { throw RateLimitsError("'\(part)' must look like ROLE=RATE/BURST, e.g. reader=20/40") }
            guard let role = Role(rawValue: String(pieces[0]).trimmingCharacters(in: .whitespaces)) else {
                throw RateLimitsError("'\(pieces[0])' is not a role: use admin, operator or reader")
            }
            guard seen.insert(role).inserted else { throw RateLimitsError("\(role.rawValue) is given twice") }
            result.limits[role] = try limit(String(pieces[1]), role: role)
        }
        return result
    }

    private static func limit(_ text: String, role: Role) throws(RateLimitsError) -> Limit? {
        let numbers = text.split(separator: "/", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard numbers.count == 1 || numbers.count == 2, let rate = Double(numbers[0]), rate.isFinite, rate >= 0 else {
            throw RateLimitsError("\(role.rawValue)=\(text): the rate must be a number of requests a second, 0 or more")
        }
        if rate == 0 {
            guard numbers.count == 1 || numbers[1] == "0" else {
                throw RateLimitsError("\(role.rawValue)=\(text): a rate of 0 means unlimited and takes no burst")
            }
            return nil
        }
        guard rate <= 1_000_000 else { throw RateLimitsError("\(role.rawValue)=\(text): the rate is at most 1000000 a second") }
        let burst: Int
        if numbers.count == 2 {
            guard let b = Int(numbers[1]), b >= 1, b <= 1_000_000 else {
                throw RateLimitsError("\(role.rawValue)=\(text): the burst must be a whole number from 1 to 1000000")
            }
            burst = b
        } else {
            burst = max(1, Int((rate * 2).rounded(.up)))
        }
        return Limit(rate: rate, burst: burst)
    }

    /// `reader=50/100,operator=100/200,admin=100/200` (unlimited roles as `ROLE=0`), the form ``parse(_:base:)`` reads.
    public var description: String {
        Role.allCases.sorted().map { role in
            guard let l = limits[role] else { return "\(role.rawValue)=0" }
            let rate = l.rate == l.rate.rounded() ? String(Int(l.rate)) : String(l.rate)
            return "\(role.rawValue)=\(rate)/\(l.burst)"
        }.joined(separator: ",")
    }
}

/// A `--rate-limit` value that does not parse; the message says what is wrong.
public struct RateLimitsError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "--rate-limit: \(message)" }
}
