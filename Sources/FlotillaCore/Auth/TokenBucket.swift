/// A token bucket (ADR 0019): holds up to `burst` tokens, refilled at `rate` tokens a second; each admitted
/// request takes one. Pure: the caller passes a monotonic time in seconds (`now`), so tests drive it with a table.
public struct TokenBucket: Sendable, Equatable {
    /// What a request gets from ``take(now:)``.
    public enum Outcome: Sendable, Equatable {
        /// A token was taken.
        case admitted
        /// No token: the next one is due in this many seconds (> 0).
        case retryAfter(Double)
    }

    /// Tokens added per second (> 0).
    public let rate: Double
    /// The most tokens held (>= 1).
    public let burst: Double
    private var tokens: Double
    private var updatedAt: Double?

    /// A full bucket.
    public init(rate: Double, burst: Int) {
        self.rate = rate
        self.burst = Double(max(1, burst))
        self.tokens = self.burst
        self.updatedAt = nil
    }

    /// Takes one token at `now` (seconds on a monotonic clock), or says when one will be there. Time that runs
    /// backwards adds nothing.
    public mutating func take(now: Double) -> Outcome {
        if let updatedAt, now > updatedAt {
            tokens = min(burst, tokens + (now - updatedAt) * rate)
        }
        updatedAt = max(updatedAt ?? now, now)
        if tokens >= 1 {
            tokens -= 1
            return .admitted
        }
        return .retryAfter((1 - tokens) / rate)
    }

    /// Whether the bucket is full again at `now`, so forgetting it changes nothing.
    public func isFull(now: Double) -> Bool {
        guard let updatedAt else { return true }
        return tokens + max(0, now - updatedAt) * rate >= burst
    }
}
