/// `GET /health`.
public struct HealthResponse: Codable, Sendable, Equatable {
    public var status: String
    public var version: String
    public var hostId: String
    public var store: String
    public var revision: Int64
    public var backends: [String]
    /// The backends of `backends` that are down, with the reason (empty when all are up).
    public var unavailableBackends: [String: String]
    /// The host that leads the cluster now, if any.
    public var leader: String?
    /// `leader` or `follower`.
    public var role: String
    public init(
        status: String, version: String, hostId: String, store: String, revision: Int64, backends: [String],
        unavailableBackends: [String: String] = [:], leader: String?, role: String
    ) {
        self.unavailableBackends = unavailableBackends
        self.status = status
        self.version = version
        self.hostId = hostId
        self.store = store
        self.revision = revision
        self.backends = backends
        self.leader = leader
        self.role = role
    }
}
