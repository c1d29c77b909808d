public import Foundation

/// How a fleet's workers show they are alive, sized for the fleet (docs/decisions/0034-heartbeats-at-scale.md).
///
/// Liveness is the worker's store lease: renewed every TTL/3 (in the store leader's memory, no replicated write),
/// and when renewals stop the store deletes the worker's heartbeat key within the TTL and every host's watch sees
/// the worker offline. The heartbeat *record* under that key (time, node key, backends down) is a replicated write
/// that every host's watch receives, so its rewrites are paced for the fleet: no more than ``maxRecordWritesPerSecond``
/// across the fleet, never less often than ``baseInterval`` apart (Nomad scales its heartbeat TTLs the same way). A
/// record changes at once when what it says changes (a backend down, a rejoin); only the refresh of its time is paced.
public struct HeartbeatPlan: Sendable, Equatable {
    /// How often a worker rewrites its record in a small fleet.
    public var baseInterval: Duration
    /// The most record rewrites per second the whole fleet makes.
    public var maxRecordWritesPerSecond: Int
    /// How often, at most, the store looks for expired leases (etcd: every 500 ms).
    public static let expiryCheck = Duration.milliseconds(500)

    public init(baseInterval: Duration = .seconds(5), maxRecordWritesPerSecond: Int = 50) {
        self.baseInterval = baseInterval
        self.maxRecordWritesPerSecond = max(1, maxRecordWritesPerSecond)
    }

    /// How often each of `workers` rewrites its record: the base interval, or longer so that the fleet stays within
    /// ``maxRecordWritesPerSecond``.
    public func recordInterval(workers: Int) -> Duration {
        let paced = Duration.milliseconds(Int64(max(workers, 0)) * 1000 / Int64(maxRecordWritesPerSecond))
        return max(baseInterval, paced)
    }

    /// How old a record may be and its worker still count as healthy: the configured window or, when the fleet is so
    /// large that the pace (not the base interval) sets how often records are rewritten, three paced intervals if
    /// that is longer. A small fleet keeps exactly the window its operator configured.
    public func healthWindow(configured: TimeInterval, workers: Int) -> TimeInterval {
        let interval = recordInterval(workers: workers)
        guard interval > baseInterval else { return configured }
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        return max(configured, 3 * seconds)
    }

    /// The latest a dead worker is seen offline after its last renewal, on a store that deletes an expired lease's
    /// keys itself: the lease's TTL plus the store's expiry check (the watch's delivery comes on top, milliseconds).
    public static func detectedWithin(leaseTTL: Duration) -> Duration { leaseTTL + expiryCheck }
}
