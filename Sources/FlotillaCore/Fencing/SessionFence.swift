/// Where this host stands with the store, decided from its own monotonic clock (docs/decisions/0016-self-fencing.md).
///
/// - `connected`: the last lease renewal was sent less than a lease TTL ago: the host acts on its instances.
/// - `unsure`: the lease may have expired but the fence bound has not passed: the host holds still (it starts,
///   restarts and reports nothing: its view of the registry may be stale).
/// - `fenced`: cut off for `fenceAfter` or more: the host stops its instances (those that opt out excepted) and
///   acts on nothing until it has renewed its session and its registry has caught up with a write made after
///   that renewal (then it learns which instances are still its own).
public struct SessionFence: Sendable, Equatable {
    public enum Phase: String, Sendable, Equatable { case connected, unsure, fenced }

    /// When the last successful renewal was sent.
    public private(set) var lastRenewal: ContinuousClock.Instant
    /// Whether the fence is up (it stays up until ``rejoin(registryRevision:)`` lifts it).
    public private(set) var isFenced = false
    /// The revision of the first write this host made after a renewal while fenced.
    public private(set) var rejoinRevision: Revision?

    public init(registeredAt: ContinuousClock.Instant) {
        self.lastRenewal = registeredAt
    }

    /// A renewal sent at `sentAt` succeeded; `revision` is the revision of a write it made (a registration or a
    /// heartbeat), when it made one.
    public mutating func renewed(sentAt: ContinuousClock.Instant, revision: Revision?) {
        if sentAt > lastRenewal { lastRenewal = sentAt }
        if isFenced, rejoinRevision == nil, let revision { rejoinRevision = revision }
    }

    /// The phase at `now`. Raises the fence when the bound has passed (the caller stops the instances).
    public mutating func phase(now: ContinuousClock.Instant, bounds: FenceBounds) -> Phase {
        if isFenced { return .fenced }
        let silent = lastRenewal.duration(to: now)
        if silent >= bounds.fenceAfter {
            isFenced = true
            rejoinRevision = nil
            return .fenced
        }
        return silent >= bounds.leaseTTL ? .unsure : .connected
    }

    /// How long the store has been silent at `now`.
    public func silence(at now: ContinuousClock.Instant) -> Duration { lastRenewal.duration(to: now) }

    /// Lifts the fence once a write made after a renewal is in the registry (`registryRevision` has reached it);
    /// returns whether it did. The host then reconciles with a registry that is current.
    public mutating func rejoin(registryRevision: Revision, now: ContinuousClock.Instant, bounds: FenceBounds) -> Bool {
        guard isFenced, let needed = rejoinRevision, registryRevision >= needed,
            lastRenewal.duration(to: now) < bounds.leaseTTL
        else { return false }
        isFenced = false
        rejoinRevision = nil
        return true
    }
}
