/// The timing that keeps an instance from running on two hosts (docs/decisions/0016-self-fencing.md).
///
/// A host that cannot renew its store lease stops its instances `fenceAfter` after its last successful renewal
/// was sent, taking at most `fenceStopTimeout` to do so. The leader reschedules a worker's instances no sooner than
/// `rescheduleGrace` after it first saw the worker offline, which is no sooner than that same renewal. Both are
/// measured on monotonic clocks that may run at rates up to ``clockRateError`` apart from real time; ``margin`` covers
/// what the argument leaves out (the replacement's placement write is not instant either, but it is not relied on).
public struct FenceBounds: Sendable, Equatable {
    /// The TTL of the worker's store lease.
    public var leaseTTL: Duration
    /// How long after its last renewal a cut-off host fences its instances.
    public var fenceAfter: Duration
    /// How long the fence may take to stop one instance (docker: the graceful stop's timeout before a kill).
    public var fenceStopTimeout: Duration
    /// How long the leader waits after a worker went offline before it reschedules its instances.
    public var rescheduleGrace: Duration

    /// How far a monotonic clock's rate may stray from real time, as a fraction (NTP slews at most 0.05 %).
    public static let clockRateError = 0.05
    /// What the fence must finish ahead of the earliest replacement by.
    public static let margin = Duration.seconds(1)

    public init(leaseTTL: Duration, fenceAfter: Duration, fenceStopTimeout: Duration, rescheduleGrace: Duration) {
        self.leaseTTL = leaseTTL
        self.fenceAfter = fenceAfter
        self.fenceStopTimeout = fenceStopTimeout
        self.rescheduleGrace = rescheduleGrace
    }

    /// Lease 3 s, fence after 5 s, 4 s to stop, reschedule after 15 s.
    public static let `default` = FenceBounds(
        leaseTTL: .seconds(3), fenceAfter: .seconds(5), fenceStopTimeout: .seconds(4), rescheduleGrace: .seconds(15))

    /// The latest, in real time after the last renewal, by which a cut-off host has stopped its instances.
    public var fencedWithin: Duration { (fenceAfter + fenceStopTimeout) * (1 + Self.clockRateError) + Self.margin }

    /// The earliest, in real time after the last renewal, at which the leader may reschedule them.
    public var replacedNoSoonerThan: Duration { rescheduleGrace * (1 - Self.clockRateError) }

    /// Why these bounds would let an instance run twice, or stop instances for a blip; empty when they keep
    /// their order: `leaseTTL <= fenceAfter` and ``fencedWithin`` < ``replacedNoSoonerThan``.
    public var problems: [String] {
        var found: [String] = []
        if leaseTTL < .seconds(1) { found.append("--lease-ttl must be at least 1 second, got \(Self.text(leaseTTL))") }
        if fenceStopTimeout <= .zero {
            found.append("--fence-stop-timeout must be more than 0 seconds, got \(Self.text(fenceStopTimeout))")
        }
        if fenceAfter < leaseTTL {
            found.append(
                "--fence-after (\(Self.text(fenceAfter))) must be at least --lease-ttl (\(Self.text(leaseTTL))): "
                    + "a store pause the lease outlives must not stop instances")
        }
        if rescheduleGrace <= .zero || fencedWithin >= replacedNoSoonerThan {
            let needed = (fencedWithin / (1 - Self.clockRateError)) + .milliseconds(1)
            found.append(
                "--reschedule-after (\(Self.text(rescheduleGrace))) is too short for --fence-after (\(Self.text(fenceAfter))) "
                    + "plus --fence-stop-timeout (\(Self.text(fenceStopTimeout))): a cut-off host could still run an instance "
                    + "when its replacement starts; use at least \(Self.text(needed.roundedUpToSeconds))")
        }
        return found
    }

    static func text(_ d: Duration) -> String {
        let ms = d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
        return ms % 1000 == 0 ? "\(ms / 1000) s" : "\(Double(ms) / 1000) s"
    }
}

extension Duration {
    /// This duration rounded up to whole seconds.
    public var roundedUpToSeconds: Duration {
        let (s, atto) = components
        return .seconds(atto > 0 ? s + 1 : s)
    }
}
