import Foundation

/// Who this host is, and the settings every cluster component shares.
public struct HostIdentity: Sendable {
    public var hostId: String
    public var address: String
    /// A heartbeat older than this makes a worker unhealthy (contract: 60 s by default).
    public var healthWindow: TimeInterval
    /// The TTL of this host's worker and leader leases.
    public var leaseTTL: Duration
    public var now: @Sendable () -> Date

    public init(
        hostId: String, address: String, healthWindow: TimeInterval = 60, leaseTTL: Duration = .seconds(3),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.hostId = hostId
        self.address = address
        self.healthWindow = healthWindow
        self.leaseTTL = leaseTTL
        self.now = now
    }
}
