import FlotillaCore
import Foundation
import Logging

/// Everything `flotilla serve` is configured with (docs/configuration.md).
public struct HostConfiguration: Sendable {
    public var listenHost: String = "127.0.0.1"
    public var listenPort: Int = 8080
    /// Surface E's gRPC address (`--grpc-listen`); port nil turns gRPC off, 0 binds an ephemeral port.
    public var grpcListenHost: String = "127.0.0.1"
    public var grpcListenPort: Int? = 9090
    /// How other hosts reach this one; `http://` (`https://` with TLS) + the listen address when nil.
    public var advertise: String?
    /// TLS of the HTTP and gRPC listeners and of host-to-host calls (`--tls-cert`, `--tls-key`, `--tls-ca`;
    /// ADR 0017); nil: plain text.
    public var tls: ListenerTLS?
    /// Listening on a non-loopback address without TLS was asked for explicitly (`--insecure`).
    public var insecure = false
    public var dataDir: String = "./.flotilla"
    /// `sqlite`, `etcd://h:p,h:p` (the client addresses of a real etcd cluster), `etcds://...`, or
    /// `postgres://USER@HOST:PORT/DB` (``StoreLocation``).
    public var store: String = "sqlite"
    /// A PostgreSQL store's password (`--postgres-password-file`, or `FLOTILLA_POSTGRES_PASSWORD`; never a flag
    /// or part of `--store`, which the process list shows).
    public var postgresPassword: String?
    /// The CA that signs a PostgreSQL server's certificate, for `sslmode=verify-full` (`--postgres-cacert`; nil:
    /// the system's roots).
    public var postgresCACert: String?
    /// etcd over TLS (`--store etcds://...`, ADR 0020): the CA of the members' certificates (nil: the system's
    /// roots), and the client certificate and key this host presents (`--etcd-cacert`, `--etcd-cert`, `--etcd-key`).
    public var etcdCACert: String?
    public var etcdCert: String?
    public var etcdKey: String?
    public var hostId: String = ProcessInfo.processInfo.hostName
    public var zone: String?
    public var labels: [String: String] = [:]
    /// nil: every backend found working, plus `sim`.
    public var backends: [BackendKind]?
    /// An admin key to create at start (for scripts).
    public var apiKey: String?
    /// The host-to-host credential; required with a shared store (etcd, PostgreSQL).
    public var clusterSecret: String?
    /// Capacity overrides; nil reads the machine.
    public var cpuCores: Double?
    public var memoryMB: Int64?
    public var diskGB: Int64?
    public var maxInstances: Int = 100
    /// vCPUs offered per physical core when `cpuCores` is not set.
    public var cpuAllocationRatio: Double = 4
    public var healthWindow: TimeInterval = 60
    public var leaseTTL: Duration = .seconds(3)
    /// The UDP port this host answers and sends peer probes on (`--peer-probe-port`; 0: any free one); nil: it takes
    /// no part in them and the lease alone finds it dead (docs/decisions/0035-peer-probes.md).
    public var peerProbePort: Int?
    /// How long a worker may be offline before the leader reschedules its instances.
    public var rescheduleAfter: Duration = .seconds(15)
    /// How long a host cut off from the store waits before it stops its instances (ADR 0016).
    public var fenceAfter: Duration = .seconds(5)
    /// How long the fence may take to stop one instance.
    public var fenceStopTimeout: Duration = .seconds(4)

    /// Whether the host refuses to start with fence bounds out of order (always, for `flotilla serve`; in-process
    /// tests that compress the grace to test the leader's duties turn it off).
    public var enforceFenceOrder = true

    /// The fence's timing, which the host checks at start keeps its order (``FenceBounds/problems``).
    public var fenceBounds: FenceBounds {
        FenceBounds(leaseTTL: leaseTTL, fenceAfter: fenceAfter, fenceStopTimeout: fenceStopTimeout, rescheduleGrace: rescheduleAfter)
    }
    /// The back-off between restarts made by instances' restart policies.
    public var restartBackoff = RestartBackoff()
    /// Whether the agent follows its backends' change notifications (Docker's events, QMP events and QEMU's
    /// exit); without them only the once-a-second resync notices changes made behind Flotilla's back (the
    /// benchmark compares the two).
    public var followBackendEvents = true
    /// How long deleted instances are kept as tombstones.
    public var tombstoneRetention: TimeInterval = 3600
    public var actionTimeout: Duration = .seconds(60)
    /// How long a write waits to show in this host's registry before it answers (read-your-writes), and a GET's
    /// `min_revision` waits (`--consistency-wait`).
    public var consistencyWait: Duration = .seconds(5)
    /// How long a request routed to the host that runs an instance may take (then 503, surface D).
    public var proxyTimeout: Duration = .seconds(5)
    /// How long the HTTP listener waits on a client: idle, for a request head, for a body (ADR 0013).
    public var connectionTimeouts = ConnectionTimeouts()
    /// The most HTTP connections open at once; nil: derived from the open-file limit (``ConnectionLimits``).
    public var maxConnections: Int?
    /// The most HTTP connections open at once from one source address; nil: derived from the total.
    public var maxConnectionsPerAddress: Int?
    /// Latency of every simulated backend operation.
    public var simLatency: Duration = .zero
    /// Where the sim backend writes what it holds after every change (for tests that check it from outside).
    public var simStateFile: String?
    /// The Docker Engine's unix socket: `FLOTILLA_DOCKER_SOCKET` when set, else `/var/run/docker.sock`.
    public var dockerSocket: String = HostConfiguration.defaultDockerSocket()
    /// How the `kvm` backend accelerates guests: `auto` probes KVM and falls back to TCG.
    public var kvmAccel: KVMAccel = .auto
    /// Storage other hosts mount at the same path, where the `kvm` backend keeps new instances' writable disks
    /// (`--kvm-shared-dir`; docs/decisions/0029-shared-disk-storage.md); nil: disks in the data folder.
    public var kvmSharedDirectory: String?
    /// A network namespace the `kvm` backend runs QEMU and makes its network devices in (`--vm-netns`;
    /// docs/decisions/0025-vm-networks.md); nil: the host's own.
    public var vmNetns: String?
    /// The audit trail's bounds (`--audit-max-records`, `--audit-max-age`; ADR 0018) and how often the leader
    /// prunes it.
    public var auditRetention = AuditRetention()
    public var auditPruneInterval: Duration = .seconds(60)

    /// Per-key request rate limits by role, on this host (`--rate-limit`; ADR 0019).
    public var rateLimits: RateLimits = .defaults

    /// Where `serve` exports spans over OTLP/HTTP (`--otlp-endpoint`; ADR 0022); nil: no tracer, no span recorded.
    public var otlpEndpoint: String?
    /// The share of new traces `serve` records (`--trace-sample-ratio`; ADR 0022): a request whose caller sampled its
    /// trace is always recorded. 0.01 keeps tracing's cost per request small (docs/benchmarks.md, ADR 0022).
    public var traceSampleRatio = 0.01
    /// The least level `serve` logs (`--log-level`).
    public var logLevel: Logger.Level = .info
    /// How `serve` writes log lines (`--log-format`; ADR 0022).
    public var logFormat: LogFormat = .text

    /// Whether this host records metrics and serves `/metrics` (`--no-metrics`, `FLOTILLA_METRICS=off`; ADR 0021).
    public var metrics = true

    /// The VM networks this host declares (`--network`, `FLOTILLA_NETWORKS`; docs/decisions/0025-vm-networks.md):
    /// written to the store at start when absent; one the cluster defines otherwise refuses the start.
    public var networks: [NetworkDefinition] = []

    /// `--kvm-accel`.
    public enum KVMAccel: String, Sendable, CaseIterable { case auto, kvm, tcg }

    public init() {}

    /// `FLOTILLA_DOCKER_SOCKET` from `environment` when set and not empty, else `/var/run/docker.sock`.
    public static func defaultDockerSocket(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let socket = environment["FLOTILLA_DOCKER_SOCKET"], !socket.isEmpty { return socket }
        return "/var/run/docker.sock"
    }

    public var advertiseAddress: String { advertise ?? "\(scheme)://\(listenHost):\(listenPort)" }

    /// `https` when the listeners serve TLS, else `http`.
    public var scheme: String { tls == nil ? "http" : "https" }

    /// Where the `kvm` backend keeps its instance folders.
    public var kvmDirectory: String { dataDir + "/kvm" }

    /// Parses `HOST:PORT`.
    public static func parseListen(_ value: String, option: String = "--listen") throws -> (String, Int) {
        guard let colon = value.lastIndex(of: ":"), let port = Int(value[value.index(after: colon)...]),
            (0...65535).contains(port)
        else { throw HostError.configuration("\(option) must look like HOST:PORT, got \(value)") }
        let host = String(value[..<colon])
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }
}
