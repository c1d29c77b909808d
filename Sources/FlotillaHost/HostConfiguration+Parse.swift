import FlotillaCore
import Foundation
import Logging

/// `flotilla serve`'s options read into a configuration (docs/configuration.md): one pure step the command calls
/// before anything is locked, written or started.
extension HostConfiguration {
    /// The configuration `options` and `environment` ask for: an option wins over its `FLOTILLA_<NAME>` variable
    /// (an empty variable counts as unset), and what neither gives keeps its default.
    ///
    /// - Parameters:
    ///   - options: the options as the command line gave them.
    ///   - environment: the process environment.
    ///   - readFile: reads `--postgres-password-file`.
    /// - Throws: ``HostError/usage(_:)`` for a value that cannot be used, ``HostError/configuration(_:)`` for a bad
    ///   `HOST:PORT`, `--proxy-timeout-ms` or `--consistency-wait`; each message names the option.
    public static func parse(
        _ options: ServeOptions, environment: [String: String],
        readFile: (String) -> Data? = { FileManager.default.contents(atPath: $0) }
    ) throws -> HostConfiguration {
        let env = ServeEnvironment(environment)
        var c = HostConfiguration()
        c.dockerSocket = defaultDockerSocket(environment: environment)
        c.logLevel = Logger.Level(rawValue: options.logLevel ?? env["LOG_LEVEL"] ?? "info") ?? .info
        (c.logFormat, c.otlpEndpoint) = try logOptions(options, env)
        if let listen = options.listen ?? env["LISTEN"] {
            (c.listenHost, c.listenPort) = try parseListen(listen)
        }
        c.advertise = options.advertise ?? env["ADVERTISE"]
        try c.applyStore(options.store, env, readFile: readFile)
        c.hostId = options.hostId ?? env["HOST_ID"] ?? c.hostId
        c.zone = options.zone ?? env["ZONE"]
        let labels = options.label.isEmpty ? (env["LABEL"]?.split(separator: ",").map(String.init) ?? []) : options.label
        for pair in labels {
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2, !kv[0].isEmpty else { throw HostError.usage("--label must look like K=V, got \(pair)") }
            c.labels[kv[0]] = kv[1]
        }
        if let list = options.backends ?? env["BACKENDS"] {
            c.backends = try list.split(separator: ",").map { raw in
                guard let kind = BackendKind(rawValue: raw.trimmingCharacters(in: .whitespaces)) else {
                    throw HostError.usage("unknown backend \(raw); known: kvm, docker, sim")
                }
                return kind
            }
        }
        c.networks = try networks(options.network, env)
        c.apiKey = options.apiKey ?? env["API_KEY"]
        try c.applyCapacity(options, env)
        try c.applyFence(options, env)
        if let grpc = options.grpcListen ?? env["GRPC_LISTEN"] {
            if grpc == "off" {
                c.grpcListenPort = nil
            } else {
                let (host, port) = try parseListen(grpc, option: "--grpc-listen")
                c.grpcListenHost = host
                c.grpcListenPort = port
            }
        }
        if let ms: Int = try options.proxyTimeoutMs ?? env.number("PROXY_TIMEOUT_MS") {
            guard (1...600_000).contains(ms) else { throw HostError.configuration("--proxy-timeout-ms must be from 1 to 600000") }
            c.proxyTimeout = .milliseconds(ms)
        }
        if let wait: Double = try options.consistencyWait ?? env.number("CONSISTENCY_WAIT") {
            guard wait > 0 && wait <= 600 else {
                throw HostError.configuration("--consistency-wait must be more than 0 and at most 600 seconds")
            }
            c.consistencyWait = .milliseconds(Int64((wait * 1000).rounded(.up)))
        }
        c.clusterSecret = options.clusterSecret ?? env["CLUSTER_SECRET"]
        try c.applyConnections(options, env)
        try c.applyAudit(options, env)
        try c.applyTLS(options, env)
        // Metrics (ADR 0021): on unless --no-metrics or FLOTILLA_METRICS=off.
        switch (options.noMetrics, env["METRICS"]) {
        case (true, _), (false, "off"): c.metrics = false
        case (false, nil), (false, "on"): c.metrics = true
        case (false, let other?): throw HostError.usage("FLOTILLA_METRICS must be on or off, got \(other)")
        }
        c.traceSampleRatio = try options.traceSampleRatio ?? env.number("TRACE_SAMPLE_RATIO") ?? c.traceSampleRatio
        guard (0...1).contains(c.traceSampleRatio) else {
            throw HostError.usage("--trace-sample-ratio must be between 0 and 1, got \(c.traceSampleRatio)")
        }
        if let text = options.rateLimit ?? env["RATE_LIMIT"] {
            do { c.rateLimits = try RateLimits.parse(text) } catch { throw HostError.usage(error.description) }
        }
        return c
    }

    /// The configuration of the store `options` and `environment` choose, as ``parse(_:environment:readFile:)``
    /// reads it (for `flotilla store`): everything else keeps its default.
    public static func parse(
        store options: ServeOptions.Store, environment: [String: String],
        readFile: (String) -> Data? = { FileManager.default.contents(atPath: $0) }
    ) throws -> HostConfiguration {
        var c = HostConfiguration()
        try c.applyStore(options, ServeEnvironment(environment), readFile: readFile)
        return c
    }

    /// Whether the listeners may listen in plain text where they are asked to (ADR 0017).
    public var listenVerdict: ListenPolicy.Verdict {
        var listeners = [ListenPolicy.Listener(option: "--listen", host: listenHost)]
        if grpcListenPort != nil { listeners.append(ListenPolicy.Listener(option: "--grpc-listen", host: grpcListenHost)) }
        return ListenPolicy.verdict(listeners, tls: tls != nil, insecure: insecure)
    }

    /// The data folder and the store's options; a store address that cannot be read, TLS options that do not fit
    /// the store and an unreadable password file are usage errors.
    private mutating func applyStore(_ o: ServeOptions.Store, _ env: ServeEnvironment, readFile: (String) -> Data?) throws {
        dataDir = o.dataDir ?? env["DATA_DIR"] ?? dataDir
        store = o.store ?? env["STORE"] ?? store
        do {
            _ = try StoreLocation.parse(store)
        } catch {
            throw HostError.usage(error.description)
        }
        etcdCACert = o.etcdCacert ?? env["ETCD_CACERT"]
        etcdCert = o.etcdCert ?? env["ETCD_CERT"]
        etcdKey = o.etcdKey ?? env["ETCD_KEY"]
        do {
            try StoreFactory.checkTLSOptions(self)
        } catch {
            throw HostError.usage("\(error)")
        }
        postgresPassword = try Self.postgresPassword(file: o.postgresPasswordFile ?? env["POSTGRES_PASSWORD_FILE"], env, readFile)
        postgresCACert = o.postgresCacert ?? env["POSTGRES_CACERT"]
    }

    /// The PostgreSQL store's password: the file's content (one trailing newline dropped), else
    /// `FLOTILLA_POSTGRES_PASSWORD`, else none. Never a flag value, which the process list would show.
    private static func postgresPassword(file: String?, _ env: ServeEnvironment, _ readFile: (String) -> Data?) throws -> String? {
        guard let file else { return env["POSTGRES_PASSWORD"] }
        guard let data = readFile(file) else { throw HostError.usage("--postgres-password-file \(file) cannot be read") }
        var password = String(decoding: data, as: UTF8.self)
        if password.hasSuffix("\r\n") { password.removeLast(2) } else if password.hasSuffix("\n") { password.removeLast() }
        guard !password.isEmpty else { throw HostError.usage("--postgres-password-file \(file) is empty") }
        return password
    }

    /// `--network` (repeatable), or `FLOTILLA_NETWORK` (the option's own variable) or `FLOTILLA_NETWORKS` (the name
    /// of the whole list), `;`-separated, each parsed with `NetworkDefinition.parse`; a network named twice is refused.
    private static func networks(_ given: [String], _ env: ServeEnvironment) throws -> [NetworkDefinition] {
        if env["NETWORK"] != nil && env["NETWORKS"] != nil {
            throw HostError.usage("--network: set FLOTILLA_NETWORK or FLOTILLA_NETWORKS, not both")
        }
        let variable = env["NETWORK"] ?? env["NETWORKS"]
        let texts = given.isEmpty ? (variable?.split(separator: ";").map(String.init) ?? []) : given
        var out: [NetworkDefinition] = []
        for text in texts.map({ $0.trimmingCharacters(in: .whitespaces) }) where !text.isEmpty {
            let definition: NetworkDefinition
            do { definition = try NetworkDefinition.parse(text) } catch { throw HostError.usage("--network: \(error.description)") }
            guard !out.contains(where: { $0.name == definition.name }) else {
                throw HostError.usage("--network: network \(definition.name) is given twice")
            }
            out.append(definition)
        }
        return out
    }

    /// `--log-format` and `--otlp-endpoint` (ADR 0022), checked.
    private static func logOptions(_ o: ServeOptions, _ env: ServeEnvironment) throws -> (format: LogFormat, otlp: String?) {
        let text = o.logFormat ?? env["LOG_FORMAT"] ?? "text"
        guard let format = LogFormat(rawValue: text) else { throw HostError.usage("--log-format must be text or json, got \(text)") }
        let otlp = o.otlpEndpoint ?? env["OTLP_ENDPOINT"]
        if let otlp, !Telemetry.isValidEndpoint(otlp) {
            throw HostError.usage("--otlp-endpoint must be an http:// or https:// URL, got \(otlp)")
        }
        return (format, otlp)
    }

    /// The kvm backend's options and the capacity offered to instances.
    private mutating func applyCapacity(_ o: ServeOptions, _ env: ServeEnvironment) throws {
        if let accel = o.kvmAccel ?? env["KVM_ACCEL"] {
            guard let mode = KVMAccel(rawValue: accel) else { throw HostError.usage("--kvm-accel must be auto, kvm or tcg") }
            kvmAccel = mode
        }
        if let shared = o.kvmSharedDir ?? env["KVM_SHARED_DIR"], !shared.isEmpty {
            guard shared.hasPrefix("/") else { throw HostError.usage("--kvm-shared-dir must be an absolute path, got \(shared)") }
            kvmSharedDirectory = shared
        }
        if let netns = o.vmNetns ?? env["VM_NETNS"], !netns.isEmpty {
            guard netns.utf8.count <= 255, !netns.contains("/"), netns != ".", netns != ".." else {
                throw HostError.usage("--vm-netns must name a network namespace (a file name under /var/run/netns)")
            }
            vmNetns = netns
        }
        cpuCores = try o.cpus ?? env.number("CPUS")
        cpuAllocationRatio = try o.cpuAllocationRatio ?? env.number("CPU_ALLOCATION_RATIO") ?? cpuAllocationRatio
        guard cpuAllocationRatio > 0 else { throw HostError.usage("--cpu-allocation-ratio must be greater than 0") }
        memoryMB = try o.memoryMb ?? env.number("MEMORY_MB")
        diskGB = try o.diskGb ?? env.number("DISK_GB")
        maxInstances = try o.maxInstances ?? env.number("MAX_INSTANCES") ?? maxInstances
        if let ms: Int = try o.simLatencyMs ?? env.number("SIM_LATENCY_MS") { simLatency = .milliseconds(ms) }
        simStateFile = o.simStateFile ?? env["SIM_STATE_FILE"]
    }

    /// The lease, fence and reschedule bounds (ADR 0016), which must keep their order.
    private mutating func applyFence(_ o: ServeOptions, _ env: ServeEnvironment) throws {
        func seconds(_ value: Double?, _ option: String) throws -> Duration? {
            guard let value else { return nil }
            guard value >= 0 && value <= 86_400 else { throw HostError.usage("\(option) must be from 0 to 86400 seconds") }
            return .milliseconds(Int64((value * 1000).rounded()))
        }
        rescheduleAfter = try seconds(o.rescheduleAfter ?? env.number("RESCHEDULE_AFTER"), "--reschedule-after") ?? rescheduleAfter
        leaseTTL = try seconds(o.leaseTtl ?? env.number("LEASE_TTL"), "--lease-ttl") ?? leaseTTL
        peerProbePort = try o.peerProbePort ?? env.number("PEER_PROBE_PORT")
        if let port = peerProbePort, !(0...65_535).contains(port) { throw HostError.usage("--peer-probe-port must be from 0 to 65535") }
        fenceAfter = try seconds(o.fenceAfter ?? env.number("FENCE_AFTER"), "--fence-after") ?? fenceAfter
        fenceStopTimeout = try seconds(o.fenceStopTimeout ?? env.number("FENCE_STOP_TIMEOUT"), "--fence-stop-timeout") ?? fenceStopTimeout
        // Bounds out of order could let an instance run twice.
        let problems = fenceBounds.problems
        guard problems.isEmpty else { throw HostError.usage(problems.joined(separator: "; ")) }
    }

    /// The HTTP listener's deadlines and caps (ADR 0013): every figure, when given, greater than 0.
    private mutating func applyConnections(_ o: ServeOptions, _ env: ServeEnvironment) throws {
        func seconds(_ value: Double?, _ option: String) throws -> Duration? {
            guard let value else { return nil }
            guard value > 0 && value <= 86_400 else { throw HostError.usage("\(option) must be more than 0 and at most 86400 seconds") }
            return .milliseconds(Int64((value * 1000).rounded(.up)))
        }
        func count(_ value: Int?, _ option: String) throws -> Int? {
            guard let value else { return nil }
            guard value > 0 else { throw HostError.usage("\(option) must be greater than 0") }
            return value
        }
        var t = connectionTimeouts
        t.idle = try seconds(o.idleTimeout ?? env.number("IDLE_TIMEOUT"), "--idle-timeout") ?? t.idle
        t.header = try seconds(o.headerTimeout ?? env.number("HEADER_TIMEOUT"), "--header-timeout") ?? t.header
        t.body = try seconds(o.bodyTimeout ?? env.number("BODY_TIMEOUT"), "--body-timeout") ?? t.body
        t.bodyMinRate = try count(o.bodyMinRate ?? env.number("BODY_MIN_RATE"), "--body-min-rate") ?? t.bodyMinRate
        connectionTimeouts = t
        maxConnections = try count(o.maxConnections ?? env.number("MAX_CONNECTIONS"), "--max-connections")
        maxConnectionsPerAddress = try count(
            o.maxConnectionsPerAddress ?? env.number("MAX_CONNECTIONS_PER_ADDRESS"), "--max-connections-per-address")
    }

    /// The audit trail's bounds (ADR 0018).
    private mutating func applyAudit(_ o: ServeOptions, _ env: ServeEnvironment) throws {
        let records: Int = try o.auditMaxRecords ?? env.number("AUDIT_MAX_RECORDS") ?? auditRetention.maxRecords
        guard records > 0 else { throw HostError.usage("--audit-max-records must be greater than 0") }
        var age = auditRetention.maxAge
        if let text = o.auditMaxAge ?? env["AUDIT_MAX_AGE"] {
            guard let parsed = AuditRetention.parseAge(text) else {
                throw HostError.usage("--audit-max-age must look like 30d, 12h, 90m or 3600s, got \(text)")
            }
            age = parsed
        }
        auditRetention = AuditRetention(maxRecords: records, maxAge: age)
    }

    /// `--tls-cert`, `--tls-key`, `--tls-ca`, `--insecure` (ADR 0017): both files or neither, a CA only with them,
    /// and no plain text on a non-loopback address unless `--insecure` says so.
    private mutating func applyTLS(_ o: ServeOptions, _ env: ServeEnvironment) throws {
        let certificate = o.tlsCert ?? env["TLS_CERT"]
        let key = o.tlsKey ?? env["TLS_KEY"]
        let ca = o.tlsCa ?? env["TLS_CA"]
        switch (certificate, key) {
        case (let certificate?, let key?): tls = ListenerTLS(certificate: certificate, key: key, clusterCA: ca)
        case (nil, nil):
            if ca != nil { throw HostError.usage("--tls-ca needs --tls-cert and --tls-key (this host's own certificate)") }
        case (nil, _): throw HostError.usage("--tls-key needs --tls-cert")
        case (_, nil): throw HostError.usage("--tls-cert needs --tls-key")
        }
        if let value = env["INSECURE"], value != "true" && value != "false" {
            throw HostError.usage("FLOTILLA_INSECURE must be true or false, got \(value)")
        }
        insecure = o.insecure || env["INSECURE"] == "true"
        if case .refused(let message) = listenVerdict { throw HostError.usage(message) }
    }
}
