/// What `flotilla serve` was given on its command line, each value as typed and nil (empty, false) when the option
/// is absent (docs/configuration.md). ``HostConfiguration/parse(_:environment:readFile:)`` falls back to the
/// `FLOTILLA_*` variables, applies the defaults and checks every value.
public struct ServeOptions: Sendable {
    public var listen: String?
    public var grpcListen: String?
    public var advertise: String?
    public var tlsCert: String?
    public var tlsKey: String?
    public var tlsCa: String?
    public var insecure = false
    /// The data folder and the store, which `flotilla store` also takes.
    public var store = Store()
    public var hostId: String?
    public var zone: String?
    public var label: [String] = []
    public var backends: String?
    public var apiKey: String?
    public var clusterSecret: String?
    public var network: [String] = []
    public var kvmAccel: String?
    public var kvmSharedDir: String?
    public var vmNetns: String?
    public var cpus: Double?
    public var cpuAllocationRatio: Double?
    public var memoryMb: Int64?
    public var diskGb: Int64?
    public var maxInstances: Int?
    public var simLatencyMs: Int?
    public var simStateFile: String?
    public var rescheduleAfter: Double?
    public var leaseTtl: Double?
    public var peerProbePort: Int?
    public var fenceAfter: Double?
    public var fenceStopTimeout: Double?
    public var proxyTimeoutMs: Int?
    public var consistencyWait: Double?
    public var idleTimeout: Double?
    public var headerTimeout: Double?
    public var bodyTimeout: Double?
    public var bodyMinRate: Int?
    public var maxConnections: Int?
    public var maxConnectionsPerAddress: Int?
    public var logLevel: String?
    public var logFormat: String?
    public var otlpEndpoint: String?
    public var traceSampleRatio: Double?
    public var noMetrics = false
    public var auditMaxRecords: Int?
    public var auditMaxAge: String?
    public var rateLimit: String?

    public init() {}

    /// `--data-dir` and the options that choose the store and its credentials.
    public struct Store: Sendable {
        public var dataDir: String?
        public var store: String?
        public var postgresPasswordFile: String?
        public var postgresCacert: String?
        public var etcdCacert: String?
        public var etcdCert: String?
        public var etcdKey: String?

        public init() {}
    }
}
