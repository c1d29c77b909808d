/// Who this host is: its id in the cluster and the address other hosts reach it at. The timings its components
/// share are ``ClusterTimings``; the wall clock they read is a `WallClock` (ADR 0033).
public struct HostIdentity: Sendable {
    public var hostId: String
    public var address: String

    public init(hostId: String, address: String) {
        self.hostId = hostId
        self.address = address
    }
}
