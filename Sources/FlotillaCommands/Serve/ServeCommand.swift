import ArgumentParser
import FlotillaCore
import FlotillaHost
import Foundation
import Logging

/// `flotilla serve`: runs one host (docs/configuration.md). Every option also reads `FLOTILLA_<NAME>`.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run a Flotilla host: the API, the agent and (when elected) the leader duties.",
        discussion: """
            Every option also reads an environment variable, named with each option below: FLOTILLA_ and the \
            option's name in capitals, - as _ (--data-dir: FLOTILLA_DATA_DIR). An option on the command line wins \
            over its variable; an empty variable counts as unset.

            Also read from the environment:
              FLOTILLA_DOCKER_SOCKET  the Docker Engine's socket (default /var/run/docker.sock)

            Every option and variable with its default: docs/configuration.md.
            """)

    @Option(help: "HTTP address, HOST:PORT (env FLOTILLA_LISTEN; default 127.0.0.1:8080).")
    var listen: String?
    @Option(help: "Flintlock gRPC address, HOST:PORT, or off (env FLOTILLA_GRPC_LISTEN; default 127.0.0.1:9090; port 0: any free port).")
    var grpcListen: String?
    @Option(help: "How other hosts reach this one (env FLOTILLA_ADVERTISE; default http://LISTEN, https:// with TLS).")
    var advertise: String?
    @Option(help: "This host's certificate, PEM, for both listeners and calls to other hosts; reloaded (env FLOTILLA_TLS_CERT).")
    var tlsCert: String?
    @Option(help: "The private key of --tls-cert, PEM (env FLOTILLA_TLS_KEY).")
    var tlsKey: String?
    @Option(help: "The cluster CA, PEM: hosts must present a certificate it signed to call internal routes (env FLOTILLA_TLS_CA).")
    var tlsCa: String?
    @Flag(help: "Listen on a non-loopback address without TLS, in plain text (env FLOTILLA_INSECURE=true).")
    var insecure = false
    @OptionGroup(title: "Data folder and store")
    var storeOptions: StoreOptions
    @Option(help: "This worker's id (env FLOTILLA_HOST_ID; default the hostname).")
    var hostId: String?
    @Option(help: "Placement zone (env FLOTILLA_ZONE).")
    var zone: String?
    @Option(help: "Placement label K=V, repeatable (env FLOTILLA_LABEL=K=V,K2=V2).")
    var label: [String] = []
    @Option(help: "Backends to run, e.g. sim (env FLOTILLA_BACKENDS; default: every backend found working, plus sim).")
    var backends: String?
    @Option(help: "An admin API key to create at start (env FLOTILLA_API_KEY); otherwise one is generated and printed on first start.")
    var apiKey: String?
    @Option(help: "Host-to-host credential (env FLOTILLA_CLUSTER_SECRET; used by cluster mode).")
    var clusterSecret: String?
    @Option(
        help: """
            A VM network of the cluster, NAME=CIDR[,gateway=IP][,bridge=NAME][,dns=IP+IP], repeatable; written to the \
            store when absent, and a start with a different definition is refused (env FLOTILLA_NETWORK or \
            FLOTILLA_NETWORKS, ';' between networks).
            """)
    var network: [String] = []
    @Option(help: "kvm acceleration: auto, kvm or tcg (env FLOTILLA_KVM_ACCEL).")
    var kvmAccel: String?
    @Option(
        help: """
            A folder on storage other hosts mount at the same path (NFS, CephFS): new kvm instances keep their \
            writable disks there, and a live migration to a host that shares it moves no disk (env \
            FLOTILLA_KVM_SHARED_DIR; default: disks in the data folder, mirrored on a live migration).
            """)
    var kvmSharedDir: String?
    @Option(
        help: """
            A network namespace (ip netns) the kvm backend runs QEMU and makes VM network devices in (env \
            FLOTILLA_VM_NETNS; default the host's own).
            """)
    var vmNetns: String?
    @Option(help: "CPU cores offered to instances (env FLOTILLA_CPUS; default the machine's cores times --cpu-allocation-ratio).")
    var cpus: Double?
    @Option(help: "vCPUs offered per physical core when --cpus is not given (env FLOTILLA_CPU_ALLOCATION_RATIO; default 4).")
    var cpuAllocationRatio: Double?
    @Option(help: "Memory offered to instances, MiB (env FLOTILLA_MEMORY_MB; default the machine's).")
    var memoryMb: Int64?
    @Option(help: "Disk offered to instances, GiB (env FLOTILLA_DISK_GB; default the data folder's file system).")
    var diskGb: Int64?
    @Option(help: "Most instances on this host (env FLOTILLA_MAX_INSTANCES; default 100).")
    var maxInstances: Int?
    @Option(help: "Latency of every simulated backend operation, ms (env FLOTILLA_SIM_LATENCY_MS; default 0).")
    var simLatencyMs: Int?
    @Option(help: "Where the sim backend writes its instances after every change, JSON (env FLOTILLA_SIM_STATE_FILE).")
    var simStateFile: String?
    @Option(help: "Seconds a worker may be offline before its instances are rescheduled (env FLOTILLA_RESCHEDULE_AFTER; default 15).")
    var rescheduleAfter: Double?
    @Option(help: "TTL of this host's store leases, seconds (env FLOTILLA_LEASE_TTL; default 3).")
    var leaseTtl: Double?
    @Option(
        help: ArgumentHelp(
            "UDP port for peer probes, which find a dead worker within seconds however long its lease "
                + "(env FLOTILLA_PEER_PROBE_PORT; 0: any free port; default off)."))
    var peerProbePort: Int?
    @Option(
        help: "Seconds without a lease renewal after which this host stops its instances (env FLOTILLA_FENCE_AFTER; default 5).")
    var fenceAfter: Double?
    @Option(help: "Seconds the fence may take to stop one instance (env FLOTILLA_FENCE_STOP_TIMEOUT; default 4).")
    var fenceStopTimeout: Double?
    @Option(help: "How long a request routed to the host that runs an instance may take, ms (env FLOTILLA_PROXY_TIMEOUT_MS; default 5000).")
    var proxyTimeoutMs: Int?
    @Option(
        help:
            "Seconds a write waits to show in this host's registry before it answers, and a GET's min_revision waits (env FLOTILLA_CONSISTENCY_WAIT; default 5)."
    )
    var consistencyWait: Double?
    @Option(help: "Seconds a connection may wait for a request before it is closed (env FLOTILLA_IDLE_TIMEOUT; default 75).")
    var idleTimeout: Double?
    @Option(help: "Seconds a request head may take from its first byte (env FLOTILLA_HEADER_TIMEOUT; default 10).")
    var headerTimeout: Double?
    @Option(
        help: "Seconds a request body may go without a byte, and its grace before --body-min-rate (env FLOTILLA_BODY_TIMEOUT; default 30).")
    var bodyTimeout: Double?
    @Option(help: "Least average rate of a request body, bytes a second (env FLOTILLA_BODY_MIN_RATE; default 1024).")
    var bodyMinRate: Int?
    @Option(help: "Most HTTP connections open at once (env FLOTILLA_MAX_CONNECTIONS; default the open-file limit less a reserve).")
    var maxConnections: Int?
    @Option(help: "Most HTTP connections from one address (env FLOTILLA_MAX_CONNECTIONS_PER_ADDRESS; default total/2, at most 1024).")
    var maxConnectionsPerAddress: Int?
    @Option(help: "trace, debug, info, notice, warning, error (env FLOTILLA_LOG_LEVEL; default info).")
    var logLevel: String?
    @Option(help: "Log lines on standard error: text, or json (one object per line) (env FLOTILLA_LOG_FORMAT; default text).")
    var logFormat: String?
    @Option(
        help: "Export traces over OTLP/HTTP to this collector, e.g. http://127.0.0.1:4318 (env FLOTILLA_OTLP_ENDPOINT; default off).")
    var otlpEndpoint: String?
    @Option(
        help: """
            With --otlp-endpoint: the share of new traces recorded, 0 to 1; a request whose traceparent is sampled is \
            always recorded (env FLOTILLA_TRACE_SAMPLE_RATIO; default 0.01).
            """)
    var traceSampleRatio: Double?
    @Flag(help: "Record no metrics; /metrics answers 404 (env FLOTILLA_METRICS=off; default on).")
    var noMetrics = false
    @Option(help: "Most records the audit trail keeps (env FLOTILLA_AUDIT_MAX_RECORDS; default 100000).")
    var auditMaxRecords: Int?
    @Option(help: "How long the audit trail keeps a record, e.g. 30d, 12h, 90m (env FLOTILLA_AUDIT_MAX_AGE; default 30d).")
    var auditMaxAge: String?

    @Option(
        help: """
            Per-key request rate limits by role, per host: ROLE=RATE/BURST,... or 0 for none (env FLOTILLA_RATE_LIMIT; \
            default reader=50/100,operator=100/200,admin=100/200).
            """)
    var rateLimit: String?

    /// The options as given, for ``HostConfiguration/parse(_:environment:readFile:)``.
    var options: ServeOptions {
        var o = ServeOptions()
        (o.listen, o.grpcListen, o.advertise) = (listen, grpcListen, advertise)
        (o.tlsCert, o.tlsKey, o.tlsCa, o.insecure) = (tlsCert, tlsKey, tlsCa, insecure)
        o.store = storeOptions.values
        (o.hostId, o.zone, o.label, o.backends) = (hostId, zone, label, backends)
        (o.apiKey, o.clusterSecret, o.network) = (apiKey, clusterSecret, network)
        (o.kvmAccel, o.kvmSharedDir, o.vmNetns) = (kvmAccel, kvmSharedDir, vmNetns)
        (o.cpus, o.cpuAllocationRatio, o.memoryMb, o.diskGb, o.maxInstances) = (cpus, cpuAllocationRatio, memoryMb, diskGb, maxInstances)
        (o.simLatencyMs, o.simStateFile) = (simLatencyMs, simStateFile)
        (o.rescheduleAfter, o.leaseTtl, o.fenceAfter, o.fenceStopTimeout) = (rescheduleAfter, leaseTtl, fenceAfter, fenceStopTimeout)
        o.peerProbePort = peerProbePort
        (o.proxyTimeoutMs, o.consistencyWait) = (proxyTimeoutMs, consistencyWait)
        (o.idleTimeout, o.headerTimeout, o.bodyTimeout, o.bodyMinRate) = (idleTimeout, headerTimeout, bodyTimeout, bodyMinRate)
        (o.maxConnections, o.maxConnectionsPerAddress) = (maxConnections, maxConnectionsPerAddress)
        (o.logLevel, o.logFormat, o.otlpEndpoint, o.traceSampleRatio) = (logLevel, logFormat, otlpEndpoint, traceSampleRatio)
        (o.noMetrics, o.auditMaxRecords, o.auditMaxAge, o.rateLimit) = (noMetrics, auditMaxRecords, auditMaxAge, rateLimit)
        return o
    }

    func run() async throws {
        // Every value is read and checked before anything is locked, written or started.
        let config = try HostConfiguration.checked { try .parse(options, environment: ProcessInfo.processInfo.environment) }
        // Once per process, here only (ADR 0022): every line carries the request id (and the span with tracing on).
        Telemetry.bootstrapLogging(format: config.logFormat, level: config.logLevel, tracing: config.otlpEndpoint != nil)
        var logger = Logger(label: "flotilla")
        logger.logLevel = config.logLevel
        do {
            try await serve(config, logger: logger)
        } catch {
            // Once, on standard error, in words: never a dump of the error value.
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    /// Locks the data folder, builds the host and runs it: the listeners bind before it registers (ADR 0010).
    private func serve(_ config: HostConfiguration, logger: Logger) async throws {
        let lock = try await DataFolderLock.acquire(config.dataDir)
        defer { lock.release() }
        // The connection caps are derived from the open-file limit: raise it as far as the process may (ADR 0013).
        let files = OpenFileLimit.raiseToHard()
        logger.info("open-file limit", metadata: ["before": "\(files.before)", "now": "\(files.after)"])
        if case .insecure(let exposed) = config.listenVerdict {
            logger.warning(
                "--insecure: listening in plain text on a non-loopback address; API keys and everything else cross the network unencrypted",
                metadata: ["listeners": "\(exposed.map { "\($0.option) \($0.host)" })"])
        }
        let telemetry = try config.otlpEndpoint.map { endpoint in
            [
                try Telemetry.bootstrapTracing(
                    endpoint: endpoint, hostId: config.hostId, sampleRatio: config.traceSampleRatio, logger: logger)
            ]
        }
        let host = try await FlotillaHost.build(config, registration: .afterListening, logger: logger)
        if let secret = host.generatedAdminKey {
            say(
                """
                Flotilla created an admin API key. It is shown only this once and stored only as a hash:

                    \(secret)

                Use it with: export FLOTILLA_API_KEY=\(secret)

                """)
        }
        try await host.run(
            onListening: { port in
                say("flotilla listening on \(config.scheme)://\(config.listenHost):\(port) (host \(config.hostId))\n")
            },
            onGRPCListening: { port in
                say("flintlock grpc listening on \(config.grpcListenHost):\(port)\(config.tls == nil ? "" : " (TLS)")\n")
            }, telemetry: telemetry ?? [])
    }
}

/// Writes to standard output unbuffered, so scripts waiting on a line see it at once.
func say(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}
