/// Whether a lease still certainly holds, judged on the holder's own monotonic clock: it was renewed less than its
/// TTL ago, with the clock-rate error of ``FenceBounds/clockRateError`` taken off. A leader writes only while its
/// lease holds this way (its writes are fenced in the store too); a process stopped (SIGSTOP) past its TTL finds,
/// when it wakes, that it no longer holds before anything else (docs/decisions/0016-self-fencing.md).
public struct LeaseHold: Sendable, Equatable {
    public var ttl: Duration
    /// When the last successful renewal (or the grant) was sent.
    public private(set) var renewedAt: ContinuousClock.Instant

    public init(ttl: Duration, grantedAt: ContinuousClock.Instant) {
        self.ttl = ttl
        self.renewedAt = grantedAt
    }

    public mutating func renewed(sentAt: ContinuousClock.Instant) {
        if sentAt > renewedAt { renewedAt = sentAt }
    }

    public func holds(at now: ContinuousClock.Instant) -> Bool {
        renewedAt.duration(to: now) < ttl * (1 - FenceBounds.clockRateError)
    }
}
