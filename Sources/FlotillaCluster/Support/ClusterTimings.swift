import Foundation

/// The timings every cluster component of a host shares (`--health-window`, `--lease-ttl`).
public struct ClusterTimings: Sendable {
    /// A heartbeat older than this makes a worker unhealthy (contract: 60 s by default).
    public var healthWindow: TimeInterval
    /// The TTL of this host's worker and leader leases.
    public var leaseTTL: Duration

    public init(healthWindow: TimeInterval = 60, leaseTTL: Duration = .seconds(3)) {
        self.healthWindow = healthWindow
        self.leaseTTL = leaseTTL
    }
}
