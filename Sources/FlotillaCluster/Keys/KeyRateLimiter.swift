import FlotillaCore
import Synchronization

/// The per-key token buckets of this host (ADR 0019): a key's limit applies per host it calls. Buckets are made
/// on a key's first request and dropped when the key is gone from the registry or the bucket is full again
/// (``retain(_:)``), so the map holds at most one bucket per stored key.
public final class KeyRateLimiter: Sendable {
    /// The limits of each role.
    public let limits: RateLimits
    private let buckets = Mutex<[String: TokenBucket]>([:])
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant

    public init(limits: RateLimits) {
        self.limits = limits
        self.start = clock.now
    }

    /// Seconds since this limiter was made, on the monotonic clock.
    private var now: Double {
        let elapsed = clock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// Takes a token for `record`'s key; throws `RATE_LIMITED` with the seconds until the next token when
    /// there is none. A role without a limit always passes.
    public func take(for record: APIKeyRecord) throws(FlotillaError) {
        guard let limit = limits.limit(for: record.role) else { return }
        let now = self.now
        let outcome = buckets.withLock { buckets in
            var bucket = buckets[record.id] ?? TokenBucket(rate: limit.rate, burst: limit.burst)
            let outcome = bucket.take(now: now)
            buckets[record.id] = bucket
            return outcome
        }
        if case .retryAfter(let seconds) = outcome { throw FlotillaError.rateLimited(retryAfter: seconds) }
    }

    /// Drops the buckets of keys not in `ids` (deleted keys) and the buckets that are full again.
    public func retain(_ ids: Set<String>) {
        let now = self.now
        buckets.withLock { buckets in
            buckets = buckets.filter { ids.contains($0.key) && !$0.value.isFull(now: now) }
        }
    }

    /// How many buckets are held (for tests).
    var count: Int { buckets.withLock { $0.count } }
}
