import FlotillaCore
import FlotillaHost
import Foundation
import Testing

/// `flotilla serve`'s options and variables read by `HostConfiguration.parse` (docs/configuration.md): the defaults,
/// each `FLOTILLA_*` fallback, an option winning over its variable, and every refusal in the words `serve` prints.
@Suite("HostConfiguration.parse")
struct HostConfigurationParseTests {
    typealias Options = @Sendable (inout ServeOptions) -> Void

    /// One setting of a configuration, in words, by the name the tables use.
    static func field(_ name: String, of c: HostConfiguration) -> String {
        func ms(_ d: Duration) -> String { "\(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000)ms" }
        func text(_ value: (any CustomStringConvertible)?) -> String { value.map(\.description) ?? "-" }
        switch name {
        case "listen": return "\(c.listenHost):\(c.listenPort)"
        case "grpc": return "\(c.grpcListenHost):\(text(c.grpcListenPort))"
        case "advertise": return c.advertiseAddress
        case "dataDir": return c.dataDir
        case "store": return c.store
        case "postgres": return "\(text(c.postgresPassword)) \(text(c.postgresCACert))"
        case "etcd": return "\(text(c.etcdCACert)) \(text(c.etcdCert)) \(text(c.etcdKey))"
        case "hostId": return c.hostId
        case "zone": return text(c.zone)
        case "labels": return c.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        case "backends": return c.backends.map { $0.map(\.rawValue).joined(separator: ",") } ?? "-"
        case "networks": return c.networks.map(\.name).joined(separator: ",")
        case "keys": return "\(text(c.apiKey)) \(text(c.clusterSecret))"
        case "kvm": return "\(c.kvmAccel.rawValue) \(text(c.kvmSharedDirectory)) \(text(c.vmNetns))"
        case "capacity":
            return "\(text(c.cpuCores)) \(c.cpuAllocationRatio) \(text(c.memoryMB)) \(text(c.diskGB)) \(c.maxInstances)"
        case "sim": return "\(ms(c.simLatency)) \(text(c.simStateFile))"
        case "fence": return "\(ms(c.rescheduleAfter)) \(ms(c.leaseTTL)) \(ms(c.fenceAfter)) \(ms(c.fenceStopTimeout))"
        case "waits": return "\(ms(c.proxyTimeout)) \(ms(c.consistencyWait))"
        case "connections":
            let t = c.connectionTimeouts
            return
                "\(ms(t.idle)) \(ms(t.header)) \(ms(t.body)) \(t.bodyMinRate) \(text(c.maxConnections)) \(text(c.maxConnectionsPerAddress))"
        case "log": return "\(c.logLevel) \(c.logFormat.rawValue) \(text(c.otlpEndpoint)) \(c.traceSampleRatio)"
        case "metrics": return "\(c.metrics)"
        case "audit": return "\(c.auditRetention.maxRecords) \(c.auditRetention.maxAge)"
        case "rateLimits": return c.rateLimits == .defaults ? "defaults" : c.rateLimits == .unlimited ? "unlimited" : "\(c.rateLimits)"
        case "tls": return c.tls.map { "\($0.certificate) \($0.key) \(text($0.clusterCA))" } ?? "-"
        case "insecure": return "\(c.insecure)"
        case "dockerSocket": return c.dockerSocket
        default: Issue.record("no field \(name)"); return ""
        }
    }

    /// Reads `--postgres-password-file`: one file, `/pw`, holds a password; every other path cannot be read.
    static func readFile(_ path: String) -> Data? {
        switch path {
        case "/pw": Data("s3cret\n".utf8)
        case "/empty": Data("\n".utf8)
        default: nil
        }
    }

    static func parse(_ options: Options = { _ in }, _ environment: [String: String] = [:]) throws -> HostConfiguration {
        var o = ServeOptions()
        options(&o)
        return try HostConfiguration.parse(o, environment: environment, readFile: readFile)
    }

    static let defaultRows: [(String, String)] = [
        ("listen", "127.0.0.1:8080"), ("grpc", "127.0.0.1:9090"), ("advertise", "http://127.0.0.1:8080"),
        ("dataDir", "./.flotilla"), ("store", "sqlite"), ("postgres", "- -"), ("etcd", "- - -"), ("zone", "-"), ("labels", ""),
        ("backends", "-"), ("networks", ""), ("keys", "- -"), ("kvm", "auto - -"), ("capacity", "- 4.0 - - 100"), ("sim", "0ms -"),
        ("fence", "15000ms 3000ms 5000ms 4000ms"), ("waits", "5000ms 5000ms"), ("connections", "75000ms 10000ms 30000ms 1024 - -"),
        ("log", "info text - 0.01"), ("metrics", "true"), ("audit", "100000 2592000.0"), ("rateLimits", "defaults"), ("tls", "-"),
        ("insecure", "false"), ("dockerSocket", "/var/run/docker.sock"),
    ]

    @Test("with no option and no variable every setting keeps its default", arguments: defaultRows)
    func defaults(field: String, expected: String) throws {
        #expect(Self.field(field, of: try Self.parse()) == expected)
    }

    @Test("with no option and no variable the host id is the machine's name")
    func defaultHostId() throws {
        #expect(try Self.parse().hostId == ProcessInfo.processInfo.hostName)
    }

    static let fallbackRows: [([String: String], String, String)] = [
        (["FLOTILLA_LISTEN": "0.0.0.0:81", "FLOTILLA_INSECURE": "true"], "listen", "0.0.0.0:81"),
        (["FLOTILLA_LISTEN": ":81", "FLOTILLA_INSECURE": "true"], "listen", "0.0.0.0:81"),
        (["FLOTILLA_GRPC_LISTEN": "127.0.0.1:0"], "grpc", "127.0.0.1:0"),
        (["FLOTILLA_GRPC_LISTEN": "off"], "grpc", "127.0.0.1:-"),
        (["FLOTILLA_ADVERTISE": "http://h1:8080"], "advertise", "http://h1:8080"),
        (["FLOTILLA_DATA_DIR": "/var/lib/flotilla"], "dataDir", "/var/lib/flotilla"),
        (["FLOTILLA_STORE": "etcd://e1:2379,e2:2379"], "store", "etcd://e1:2379,e2:2379"),
        (["FLOTILLA_POSTGRES_PASSWORD": "pw", "FLOTILLA_POSTGRES_CACERT": "/ca.pem"], "postgres", "pw /ca.pem"),
        (["FLOTILLA_POSTGRES_PASSWORD_FILE": "/pw", "FLOTILLA_POSTGRES_PASSWORD": "pw"], "postgres", "s3cret -"),
        (
            ["FLOTILLA_STORE": "etcds://e1:2379", "FLOTILLA_ETCD_CACERT": "/ca", "FLOTILLA_ETCD_CERT": "/c", "FLOTILLA_ETCD_KEY": "/k"],
            "etcd", "/ca /c /k"
        ),
        (["FLOTILLA_HOST_ID": "w1"], "hostId", "w1"),
        (["FLOTILLA_ZONE": "z1"], "zone", "z1"),
        (["FLOTILLA_LABEL": "a=1,b=2"], "labels", "a=1,b=2"),
        (["FLOTILLA_BACKENDS": "sim, docker"], "backends", "sim,docker"),
        (["FLOTILLA_NETWORK": "n1=10.1.0.0/24"], "networks", "n1"),
        (["FLOTILLA_NETWORKS": "n1=10.1.0.0/24; n2=10.2.0.0/24"], "networks", "n1,n2"),
        (["FLOTILLA_API_KEY": "k", "FLOTILLA_CLUSTER_SECRET": "s"], "keys", "k s"),
        (["FLOTILLA_KVM_ACCEL": "tcg", "FLOTILLA_KVM_SHARED_DIR": "/shared", "FLOTILLA_VM_NETNS": "ns1"], "kvm", "tcg /shared ns1"),
        (
            [
                "FLOTILLA_CPUS": "8", "FLOTILLA_CPU_ALLOCATION_RATIO": "2", "FLOTILLA_MEMORY_MB": "4096", "FLOTILLA_DISK_GB": "50",
                "FLOTILLA_MAX_INSTANCES": "7",
            ], "capacity", "8.0 2.0 4096 50 7"
        ),
        (["FLOTILLA_SIM_LATENCY_MS": "20", "FLOTILLA_SIM_STATE_FILE": "/sim.json"], "sim", "20ms /sim.json"),
        (
            [
                "FLOTILLA_RESCHEDULE_AFTER": "30", "FLOTILLA_LEASE_TTL": "2", "FLOTILLA_FENCE_AFTER": "6",
                "FLOTILLA_FENCE_STOP_TIMEOUT": "3",
            ], "fence", "30000ms 2000ms 6000ms 3000ms"
        ),
        (["FLOTILLA_PROXY_TIMEOUT_MS": "700", "FLOTILLA_CONSISTENCY_WAIT": "1.5"], "waits", "700ms 1500ms"),
        (
            [
                "FLOTILLA_IDLE_TIMEOUT": "1", "FLOTILLA_HEADER_TIMEOUT": "2", "FLOTILLA_BODY_TIMEOUT": "3", "FLOTILLA_BODY_MIN_RATE": "4",
                "FLOTILLA_MAX_CONNECTIONS": "5", "FLOTILLA_MAX_CONNECTIONS_PER_ADDRESS": "6",
            ], "connections", "1000ms 2000ms 3000ms 4 5 6"
        ),
        (
            [
                "FLOTILLA_LOG_LEVEL": "debug", "FLOTILLA_LOG_FORMAT": "json", "FLOTILLA_OTLP_ENDPOINT": "http://c:4318",
                "FLOTILLA_TRACE_SAMPLE_RATIO": "0.5",
            ], "log", "debug json http://c:4318 0.5"
        ),
        (["FLOTILLA_METRICS": "off"], "metrics", "false"),
        (["FLOTILLA_METRICS": "on"], "metrics", "true"),
        (["FLOTILLA_AUDIT_MAX_RECORDS": "10", "FLOTILLA_AUDIT_MAX_AGE": "1h"], "audit", "10 3600.0"),
        (["FLOTILLA_RATE_LIMIT": "0"], "rateLimits", "unlimited"),
        (["FLOTILLA_TLS_CERT": "/c.pem", "FLOTILLA_TLS_KEY": "/k.pem", "FLOTILLA_TLS_CA": "/ca.pem"], "tls", "/c.pem /k.pem /ca.pem"),
        (["FLOTILLA_TLS_CERT": "/c.pem", "FLOTILLA_TLS_KEY": "/k.pem"], "advertise", "https://127.0.0.1:8080"),
        (["FLOTILLA_INSECURE": "true"], "insecure", "true"),
        (["FLOTILLA_DOCKER_SOCKET": "/run/d.sock"], "dockerSocket", "/run/d.sock"),
        // An empty variable counts as unset.
        (["FLOTILLA_STORE": "", "FLOTILLA_ZONE": "", "FLOTILLA_TLS_CERT": ""], "store", "sqlite"),
        (["FLOTILLA_ZONE": "", "FLOTILLA_CPUS": ""], "zone", "-"),
    ]

    @Test("an option that is not given falls back to its FLOTILLA_ variable", arguments: fallbackRows)
    func fallback(environment: [String: String], field: String, expected: String) throws {
        #expect(Self.field(field, of: try Self.parse({ _ in }, environment)) == expected)
    }

    static let flagRows: [(Options, [String: String], String, String)] = [
        ({ $0.listen = "127.0.0.1:82" }, ["FLOTILLA_LISTEN": "127.0.0.1:81"], "listen", "127.0.0.1:82"),
        ({ $0.store.dataDir = "/flag" }, ["FLOTILLA_DATA_DIR": "/env"], "dataDir", "/flag"),
        ({ $0.store.postgresPasswordFile = "/pw" }, ["FLOTILLA_POSTGRES_PASSWORD_FILE": "/nowhere"], "postgres", "s3cret -"),
        ({ $0.label = ["c=3"] }, ["FLOTILLA_LABEL": "a=1,b=2"], "labels", "c=3"),
        ({ $0.network = ["n3=10.3.0.0/24"] }, ["FLOTILLA_NETWORKS": "n1=10.1.0.0/24"], "networks", "n3"),
        ({ $0.cpus = 2 }, ["FLOTILLA_CPUS": "8"], "capacity", "2.0 4.0 - - 100"),
        ({ $0.rescheduleAfter = 20 }, ["FLOTILLA_RESCHEDULE_AFTER": "30"], "fence", "20000ms 3000ms 5000ms 4000ms"),
        ({ $0.consistencyWait = 2 }, ["FLOTILLA_CONSISTENCY_WAIT": "1"], "waits", "5000ms 2000ms"),
        ({ $0.logFormat = "text" }, ["FLOTILLA_LOG_FORMAT": "json"], "log", "info text - 0.01"),
        ({ $0.noMetrics = true }, ["FLOTILLA_METRICS": "on"], "metrics", "false"),
        ({ $0.rateLimit = "0" }, ["FLOTILLA_RATE_LIMIT": "reader=1/2"], "rateLimits", "unlimited"),
        ({ $0.insecure = true }, ["FLOTILLA_INSECURE": "false"], "insecure", "true"),
        (
            { $0.tlsCa = "/flag-ca" }, ["FLOTILLA_TLS_CERT": "/c", "FLOTILLA_TLS_KEY": "/k", "FLOTILLA_TLS_CA": "/env-ca"], "tls",
            "/c /k /flag-ca"
        ),
    ]

    @Test("an option on the command line wins over its variable", arguments: flagRows)
    func flagWins(options: Options, environment: [String: String], field: String, expected: String) throws {
        #expect(Self.field(field, of: try Self.parse(options, environment)) == expected)
    }

    /// Each refusal: the options, the environment, the message, and whether it is a usage error (exit status 2) or a
    /// configuration error (exit status 1).
    static let refusalRows: [(Options, [String: String], String, Bool)] = [
        ({ $0.listen = "nowhere" }, [:], "--listen must look like HOST:PORT, got nowhere", false),
        ({ $0.grpcListen = "h:70000" }, [:], "--grpc-listen must look like HOST:PORT, got h:70000", false),
        ({ $0.proxyTimeoutMs = 0 }, [:], "--proxy-timeout-ms must be from 1 to 600000", false),
        ({ $0.consistencyWait = 0 }, [:], "--consistency-wait must be more than 0 and at most 600 seconds", false),
        ({ _ in }, ["FLOTILLA_CONSISTENCY_WAIT": "601"], "--consistency-wait must be more than 0 and at most 600 seconds", false),
        ({ _ in }, ["FLOTILLA_CPUS": "many"], "FLOTILLA_CPUS must be a number, got many", true),
        ({ $0.label = ["=1"] }, [:], "--label must look like K=V, got =1", true),
        ({ $0.backends = "sim,xen" }, [:], "unknown backend xen; known: kvm, docker, sim", true),
        (
            { _ in }, ["FLOTILLA_NETWORK": "n1=10.1.0.0/24", "FLOTILLA_NETWORKS": "n2=10.2.0.0/24"],
            "--network: set FLOTILLA_NETWORK or FLOTILLA_NETWORKS, not both", true
        ),
        ({ $0.network = ["n1=10.1.0.0/24", "n1=10.2.0.0/24"] }, [:], "--network: network n1 is given twice", true),
        ({ $0.kvmAccel = "hvf" }, [:], "--kvm-accel must be auto, kvm or tcg", true),
        ({ $0.kvmSharedDir = "shared" }, [:], "--kvm-shared-dir must be an absolute path, got shared", true),
        ({ $0.vmNetns = "a/b" }, [:], "--vm-netns must name a network namespace (a file name under /var/run/netns)", true),
        ({ $0.cpuAllocationRatio = 0 }, [:], "--cpu-allocation-ratio must be greater than 0", true),
        ({ $0.leaseTtl = 90_000 }, [:], "--lease-ttl must be from 0 to 86400 seconds", true),
        (
            { $0.rescheduleAfter = 1 }, [:],
            "--reschedule-after (1 s) is too short for --fence-after (5 s) plus --fence-stop-timeout (4 s): a cut-off host could "
                + "still run an instance when its replacement starts; use at least 12 s", true
        ),
        (
            { $0.leaseTtl = 6 }, ["FLOTILLA_RESCHEDULE_AFTER": "60"],
            "--fence-after (5 s) must be at least --lease-ttl (6 s): a store pause the lease outlives must not stop instances", true
        ),
        ({ $0.idleTimeout = 0 }, [:], "--idle-timeout must be more than 0 and at most 86400 seconds", true),
        ({ $0.maxConnectionsPerAddress = 0 }, [:], "--max-connections-per-address must be greater than 0", true),
        ({ $0.auditMaxRecords = 0 }, [:], "--audit-max-records must be greater than 0", true),
        ({ $0.auditMaxAge = "soon" }, [:], "--audit-max-age must look like 30d, 12h, 90m or 3600s, got soon", true),
        ({ $0.tlsCa = "/ca" }, [:], "--tls-ca needs --tls-cert and --tls-key (this host's own certificate)", true),
        ({ $0.tlsKey = "/k" }, [:], "--tls-key needs --tls-cert", true),
        ({ $0.tlsCert = "/c" }, [:], "--tls-cert needs --tls-key", true),
        ({ _ in }, ["FLOTILLA_INSECURE": "yes"], "FLOTILLA_INSECURE must be true or false, got yes", true),
        ({ _ in }, ["FLOTILLA_METRICS": "maybe"], "FLOTILLA_METRICS must be on or off, got maybe", true),
        ({ $0.logFormat = "xml" }, [:], "--log-format must be text or json, got xml", true),
        ({ $0.otlpEndpoint = "c:4318" }, [:], "--otlp-endpoint must be an http:// or https:// URL, got c:4318", true),
        ({ $0.traceSampleRatio = 1.5 }, [:], "--trace-sample-ratio must be between 0 and 1, got 1.5", true),
        ({ $0.rateLimit = "root=1/2" }, [:], "--rate-limit: 'root' is not a role: use admin, operator or reader", true),
        ({ $0.store.postgresPasswordFile = "/nowhere" }, [:], "--postgres-password-file /nowhere cannot be read", true),
        ({ $0.store.postgresPasswordFile = "/empty" }, [:], "--postgres-password-file /empty is empty", true),
        ({ $0.store.etcdKey = "/k" }, [:], "--etcd-key applies only to an etcds:// store, not to --store sqlite", true),
    ]

    @Test("a value that cannot be used is refused with the message serve prints", arguments: refusalRows)
    func refused(options: Options, environment: [String: String], message: String, usage: Bool) {
        let error = #expect(throws: HostError.self) { try Self.parse(options, environment) }
        switch error {
        case .usage(let text)?: #expect(usage && text == message, "usage error: \(text)")
        case .configuration(let text)?: #expect(!usage && text == message, "configuration error: \(text)")
        default: Issue.record("not a refusal of the configuration: \(String(describing: error))")
        }
    }

    @Test("a plain-text listener on a non-loopback address is refused unless --insecure says so")
    func listenPolicy() throws {
        let error = #expect(throws: HostError.self) { try Self.parse({ $0.listen = "0.0.0.0:8080" }) }
        guard case .usage(let message)? = error else { Issue.record("not a usage error: \(String(describing: error))"); return }
        #expect(message.hasPrefix("--listen 0.0.0.0 is not a loopback address: serve it with TLS (--tls-cert and --tls-key)"), "\(message)")
        #expect(
            try Self.parse({
                $0.listen = "0.0.0.0:8080"; $0.insecure = true
            }).insecure)
    }

    @Test("a store address that cannot be read is a usage error, for serve and for flotilla store alike")
    func storeAddress() {
        let store = {
            var store = ServeOptions.Store()
            store.store = "mysql://db"
            return store
        }()
        let errors = [
            #expect(throws: HostError.self) { try HostConfiguration.parse(store: store, environment: [:]) },
            #expect(throws: HostError.self) { try Self.parse({ $0.store = store }) },
        ]
        for error in errors {
            guard case .usage(let message)? = error else { Issue.record("not a usage error: \(String(describing: error))"); continue }
            #expect(message.hasPrefix("--store must be sqlite, etcd://"), "\(message)")
        }
    }
}
