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

    func run() async throws {
        let env = Environment()
        let level = Logger.Level(rawValue: logLevel ?? env["LOG_LEVEL"] ?? "info") ?? .info
        // Once per process, here only (ADR 0022): every line carries the request id (and the span with tracing on).
        let options = try logOptions(env)
        Telemetry.bootstrapLogging(format: options.format, level: level, tracing: options.otlp != nil)
        var logger = Logger(label: "flotilla")
        logger.logLevel = level
        let config = try configuration(env)
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
        if case .insecure(let exposed) = ServeCommand.listenVerdict(config) {
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

    func configuration(_ env: Environment) throws -> HostConfiguration {
        var c = HostConfiguration()
        if let listen = listen ?? env["LISTEN"] {
            let (host, port) = try HostConfiguration.parseListen(listen)
            c.listenHost = host
            c.listenPort = port
        }
        c.advertise = advertise ?? env["ADVERTISE"]
        try storeOptions.apply(to: &c, env)
        c.hostId = hostId ?? env["HOST_ID"] ?? c.hostId
        c.zone = zone ?? env["ZONE"]
        let labels = label.isEmpty ? (env["LABEL"]?.split(separator: ",").map(String.init) ?? []) : label
        for pair in labels {
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2, !kv[0].isEmpty else { throw ValidationError("--label must look like K=V, got \(pair)") }
            c.labels[kv[0]] = kv[1]
        }
        if let list = backends ?? env["BACKENDS"] {
            c.backends = try list.split(separator: ",").map { raw in
                guard let kind = BackendKind(rawValue: raw.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("unknown backend \(raw); known: kvm, docker, sim")
                }
                return kind
            }
        }
        c.networks = try networks(env)
        c.apiKey = apiKey ?? env["API_KEY"]
        if let accel = kvmAccel ?? env["KVM_ACCEL"] {
            guard let mode = HostConfiguration.KVMAccel(rawValue: accel) else {
                throw ValidationError("--kvm-accel must be auto, kvm or tcg")
            }
            c.kvmAccel = mode
        }
        if let shared = kvmSharedDir ?? env["KVM_SHARED_DIR"], !shared.isEmpty {
            guard shared.hasPrefix("/") else { throw ValidationError("--kvm-shared-dir must be an absolute path, got \(shared)") }
            c.kvmSharedDirectory = shared
        }
        if let netns = vmNetns ?? env["VM_NETNS"], !netns.isEmpty {
            guard netns.utf8.count <= 255, !netns.contains("/"), netns != ".", netns != ".." else {
                throw ValidationError("--vm-netns must name a network namespace (a file name under /var/run/netns)")
            }
            c.vmNetns = netns
        }
        c.cpuCores = try cpus ?? env.number("CPUS")
        c.cpuAllocationRatio = try cpuAllocationRatio ?? env.number("CPU_ALLOCATION_RATIO") ?? c.cpuAllocationRatio
        guard c.cpuAllocationRatio > 0 else { throw ValidationError("--cpu-allocation-ratio must be greater than 0") }
        c.memoryMB = try memoryMb ?? env.number("MEMORY_MB")
        c.diskGB = try diskGb ?? env.number("DISK_GB")
        c.maxInstances = try maxInstances ?? env.number("MAX_INSTANCES") ?? c.maxInstances
        if let ms: Int = try simLatencyMs ?? env.number("SIM_LATENCY_MS") { c.simLatency = .milliseconds(ms) }
        c.simStateFile = simStateFile ?? env["SIM_STATE_FILE"]
        try fenceOptions(env, into: &c)
        if let grpc = grpcListen ?? env["GRPC_LISTEN"] {
            if grpc == "off" {
                c.grpcListenPort = nil
            } else {
                let (host, port) = try HostConfiguration.parseListen(grpc, option: "--grpc-listen")
                c.grpcListenHost = host
                c.grpcListenPort = port
            }
        }
        if let ms: Int = try proxyTimeoutMs ?? env.number("PROXY_TIMEOUT_MS") {
            guard (1...600_000).contains(ms) else { throw HostError.configuration("--proxy-timeout-ms must be from 1 to 600000") }
            c.proxyTimeout = .milliseconds(ms)
        }
        if let wait: Double = try consistencyWait ?? env.number("CONSISTENCY_WAIT") {
            guard wait > 0 && wait <= 600 else {
                throw HostError.configuration("--consistency-wait must be more than 0 and at most 600 seconds")
            }
            c.consistencyWait = .milliseconds(Int64((wait * 1000).rounded(.up)))
        }
        c.clusterSecret = clusterSecret ?? env["CLUSTER_SECRET"]
        try connectionOptions(env, into: &c)
        try auditOptions(env, into: &c)
        try tlsOptions(env, into: &c)
        // Metrics (ADR 0021): on unless --no-metrics or FLOTILLA_METRICS=off.
        switch (noMetrics, env["METRICS"]) {
        case (true, _), (false, "off"): c.metrics = false
        case (false, nil), (false, "on"): c.metrics = true
        case (false, let other?): throw ValidationError("FLOTILLA_METRICS must be on or off, got \(other)")
        }
        (c.logFormat, c.otlpEndpoint) = try logOptions(env)
        c.traceSampleRatio = try traceSampleRatio ?? env.number("TRACE_SAMPLE_RATIO") ?? c.traceSampleRatio
        guard (0...1).contains(c.traceSampleRatio) else {
            throw ValidationError("--trace-sample-ratio must be between 0 and 1, got \(c.traceSampleRatio)")
        }
        if let text = rateLimit ?? env["RATE_LIMIT"] {
            do { c.rateLimits = try RateLimits.parse(text) } catch { throw ValidationError(error.description) }
        }
        return c
    }

    /// `--network` (repeatable), or `FLOTILLA_NETWORK` (the option's own variable) or `FLOTILLA_NETWORKS` (the name
    /// of the whole list), `;`-separated, each parsed with `NetworkDefinition.parse`; a network named twice is refused.
    private func networks(_ env: Environment) throws -> [NetworkDefinition] {
        if env["NETWORK"] != nil && env["NETWORKS"] != nil {
            throw ValidationError("--network: set FLOTILLA_NETWORK or FLOTILLA_NETWORKS, not both")
        }
        let variable = env["NETWORK"] ?? env["NETWORKS"]
        let texts = network.isEmpty ? (variable?.split(separator: ";").map(String.init) ?? []) : network
        var out: [NetworkDefinition] = []
        for text in texts.map({ $0.trimmingCharacters(in: .whitespaces) }) where !text.isEmpty {
            let definition: NetworkDefinition
            do { definition = try NetworkDefinition.parse(text) } catch { throw ValidationError("--network: \(error.description)") }
            guard !out.contains(where: { $0.name == definition.name }) else {
                throw ValidationError("--network: network \(definition.name) is given twice")
            }
            out.append(definition)
        }
        return out
    }

    /// `--log-format` and `--otlp-endpoint` (ADR 0022), checked.
    private func logOptions(_ env: Environment) throws -> (format: LogFormat, otlp: String?) {
        let text = logFormat ?? env["LOG_FORMAT"] ?? "text"
        guard let format = LogFormat(rawValue: text) else { throw ValidationError("--log-format must be text or json, got \(text)") }
        let otlp = otlpEndpoint ?? env["OTLP_ENDPOINT"]
        if let otlp, !Telemetry.isValidEndpoint(otlp) {
            throw ValidationError("--otlp-endpoint must be an http:// or https:// URL, got \(otlp)")
        }
        return (format, otlp)
    }

    /// The audit trail's bounds (ADR 0018).
    private func auditOptions(_ env: Environment, into c: inout HostConfiguration) throws {
        let records: Int = try auditMaxRecords ?? env.number("AUDIT_MAX_RECORDS") ?? c.auditRetention.maxRecords
        guard records > 0 else { throw ValidationError("--audit-max-records must be greater than 0") }
        var age = c.auditRetention.maxAge
        if let text = auditMaxAge ?? env["AUDIT_MAX_AGE"] {
            guard let parsed = AuditRetention.parseAge(text) else {
                throw ValidationError("--audit-max-age must look like 30d, 12h, 90m or 3600s, got \(text)")
            }
            age = parsed
        }
        c.auditRetention = AuditRetention(maxRecords: records, maxAge: age)
    }

    /// The lease, fence and reschedule bounds (ADR 0016); the host checks at start that they keep their order.
    private func fenceOptions(_ env: Environment, into c: inout HostConfiguration) throws {
        func seconds(_ value: Double?, _ option: String) throws -> Duration? {
            guard let value else { return nil }
            guard value >= 0 && value <= 86_400 else { throw ValidationError("\(option) must be from 0 to 86400 seconds") }
            return .milliseconds(Int64((value * 1000).rounded()))
        }
        c.rescheduleAfter = try seconds(rescheduleAfter ?? env.number("RESCHEDULE_AFTER"), "--reschedule-after") ?? c.rescheduleAfter
        c.leaseTTL = try seconds(leaseTtl ?? env.number("LEASE_TTL"), "--lease-ttl") ?? c.leaseTTL
        c.fenceAfter = try seconds(fenceAfter ?? env.number("FENCE_AFTER"), "--fence-after") ?? c.fenceAfter
        c.fenceStopTimeout = try seconds(fenceStopTimeout ?? env.number("FENCE_STOP_TIMEOUT"), "--fence-stop-timeout") ?? c.fenceStopTimeout
        // Before anything is written or locked: bounds out of order could let an instance run twice.
        let problems = c.fenceBounds.problems
        guard problems.isEmpty else { throw ValidationError(problems.joined(separator: "; ")) }
    }

    /// The HTTP listener's deadlines and caps (ADR 0013): every figure, when given, greater than 0.
    private func connectionOptions(_ env: Environment, into c: inout HostConfiguration) throws {
        func seconds(_ value: Double?, _ option: String) throws -> Duration? {
            guard let value else { return nil }
            guard value > 0 && value <= 86_400 else { throw ValidationError("\(option) must be more than 0 and at most 86400 seconds") }
            return .milliseconds(Int64((value * 1000).rounded(.up)))
        }
        func count(_ value: Int?, _ option: String) throws -> Int? {
            guard let value else { return nil }
            guard value > 0 else { throw ValidationError("\(option) must be greater than 0") }
            return value
        }
        var t = c.connectionTimeouts
        t.idle = try seconds(idleTimeout ?? env.number("IDLE_TIMEOUT"), "--idle-timeout") ?? t.idle
        t.header = try seconds(headerTimeout ?? env.number("HEADER_TIMEOUT"), "--header-timeout") ?? t.header
        t.body = try seconds(bodyTimeout ?? env.number("BODY_TIMEOUT"), "--body-timeout") ?? t.body
        t.bodyMinRate = try count(bodyMinRate ?? env.number("BODY_MIN_RATE"), "--body-min-rate") ?? t.bodyMinRate
        c.connectionTimeouts = t
        c.maxConnections = try count(maxConnections ?? env.number("MAX_CONNECTIONS"), "--max-connections")
        c.maxConnectionsPerAddress = try count(
            maxConnectionsPerAddress ?? env.number("MAX_CONNECTIONS_PER_ADDRESS"), "--max-connections-per-address")
    }
}

/// `FLOTILLA_<NAME>` environment variables.
struct Environment {
    let values = ProcessInfo.processInfo.environment
    subscript(name: String) -> String? { values["FLOTILLA_" + name].flatMap { $0.isEmpty ? nil : $0 } }

    func number<T: LosslessStringConvertible>(_ name: String) throws -> T? {
        guard let raw = self[name] else { return nil }
        guard let value = T(raw) else { throw ValidationError("FLOTILLA_\(name) must be a number, got \(raw)") }
        return value
    }
}

/// Writes to standard output unbuffered, so scripts waiting on a line see it at once.
func say(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}
