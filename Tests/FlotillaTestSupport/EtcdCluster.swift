import FlotillaCore
import FlotillaStore
import FlotillaTLS
import Foundation
import Logging
import Synchronization
import Testing

/// A real etcd cluster of `size` members on free loopback ports, each with its own data directory under one
/// temporary folder, for tests. ``tearDown()`` kills every member and removes the folder; call it whatever
/// happens (``withEtcdCluster(size:tls:_:)`` does).
///
/// With `tls: true` the cluster has a CA of its own (in ``tlsDirectory``) and one certificate per member (SANs
/// 127.0.0.1 and localhost) that serves as its server and peer certificate; members speak only TLS (https client
/// and peer URLs) and require a client certificate from that CA (`--client-cert-auth`, `--peer-client-cert-auth`).
/// A client uses ``caFile``, ``clientCertificateFile`` and ``clientKeyFile``; a host uses ``serveArguments``.
///
/// Needs `/usr/bin/etcd` (Debian: `apt-get install -y etcd-server`), or `FLOTILLA_ETCD_BIN`.
public final class EtcdCluster: Sendable {
    public struct Member: Sendable {
        public let name: String
        public let clientURL: String
        public let peerURL: String
        public let dataDir: String
        public let logPath: String
    }

    public let members: [Member]
    /// The folder that holds every member's data and log.
    public let directory: String
    /// The cluster's CA when it speaks TLS (for tests that issue certificates of their own), else nil.
    public let authority: CertificateAuthority?
    private let token: String
    private let processes: Mutex<[Int: Process]>

    /// The etcd binary: `FLOTILLA_ETCD_BIN`, else `/usr/bin/etcd`.
    public static var binary: String { ProcessInfo.processInfo.environment["FLOTILLA_ETCD_BIN"] ?? "/usr/bin/etcd" }

    /// Whether real-component tests must run (and fail when their component is missing).
    public static var realComponentsRequired: Bool { ProcessInfo.processInfo.environment["FLOTILLA_REQUIRE_REAL"] == "1" }

    /// Whether etcd tests should run here: etcd is installed, or it is required (then its absence fails them).
    public static var testsEnabled: Bool {
        realComponentsRequired || FileManager.default.isExecutableFile(atPath: binary)
    }

    /// The client URLs of every member, in member order (`https://` when the cluster speaks TLS).
    public var endpoints: [String] { members.map(\.clientURL) }

    /// Whether the cluster speaks TLS only and requires client certificates.
    public var tls: Bool { authority != nil }

    /// `--store` for a host: `etcd://H:P,...`, or `etcds://H:P,...` for a TLS cluster.
    public var storeSpec: String {
        let scheme = tls ? "https://" : "http://"
        return (tls ? "etcds://" : "etcd://") + endpoints.map { String($0.dropFirst(scheme.count)) }.joined(separator: ",")
    }

    /// The TLS files (``tls`` clusters only): the folder, the CA certificate, and a client certificate with its key
    /// (issued by the cluster's CA, as a host's would be).
    public var tlsDirectory: String { directory + "/tls" }
    public var caFile: String { tlsDirectory + "/" + CertificateAuthority.certificateFile }
    public var clientCertificateFile: String { tlsDirectory + "/client.pem" }
    public var clientKeyFile: String { tlsDirectory + "/client-key.pem" }

    /// What `flotilla serve` needs to use this cluster: `--store`, and for a TLS cluster `--etcd-cacert`,
    /// `--etcd-cert` and `--etcd-key`.
    public var serveArguments: [String] {
        ["--store", storeSpec]
            + (tls ? ["--etcd-cacert", caFile, "--etcd-cert", clientCertificateFile, "--etcd-key", clientKeyFile] : [])
    }

    /// A store client of this cluster (all members, or `endpoints`), with the cluster's CA and client certificate
    /// when it speaks TLS. Close it after use.
    public func store(
        endpoints: [String]? = nil, requestTimeout: Duration = .seconds(2), watchReconnectWindow: Duration = .seconds(10),
        logger: Logger = Logger(label: "flotilla.store.etcd")
    ) throws -> EtcdClusterStore {
        let tlsConfiguration = try tls ? TLSFiles.client(ca: caFile, certificate: clientCertificateFile, key: clientKeyFile) : nil
        return try EtcdClusterStore(
            endpoints: endpoints ?? self.endpoints, requestTimeout: requestTimeout, watchReconnectWindow: watchReconnectWindow,
            tls: tlsConfiguration, logger: logger)
    }

    /// Starts a new cluster and waits (up to `timeout`) until it has a leader and every member answers.
    /// Tries twice (with new ports), in case another process took a port between its choice and etcd's bind.
    /// `tls`: TLS only, with client certificates (see the type's description).
    public static func start(size: Int = 3, tls: Bool = false, timeout: Duration = .seconds(30)) async throws -> EtcdCluster {
        do {
            return try await startOnce(size: size, tls: tls, timeout: timeout)
        } catch {
            return try await startOnce(size: size, tls: tls, timeout: timeout)
        }
    }

    private static func startOnce(size: Int, tls: Bool, timeout: Duration) async throws -> EtcdCluster {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw ProcessFailure(
                "no etcd at \(binary): install it with `apt-get update && apt-get install -y etcd-server etcd-client`")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-etcd-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let ports = try freeLoopbackPorts(2 * size)
        let scheme = tls ? "https" : "http"
        let members = (0..<size).map { i in
            Member(
                name: "m\(i)", clientURL: "\(scheme)://127.0.0.1:\(ports[2 * i])", peerURL: "\(scheme)://127.0.0.1:\(ports[2 * i + 1])",
                dataDir: directory + "/m\(i).data", logPath: directory + "/m\(i).log")
        }
        let authority: CertificateAuthority?
        do {
            authority = tls ? try makeCertificates(in: directory + "/tls", members: members) : nil
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        let cluster = EtcdCluster(
            members: members, directory: directory, token: "flotilla-\(UUID().uuidString)", authority: authority)
        do {
            for i in members.indices { try cluster.launch(i, state: "new") }
            try await cluster.waitHealthy(timeout: timeout)
        } catch {
            let logs = cluster.logTails()
            await cluster.tearDown()
            throw ProcessFailure("etcd cluster did not start: \(error)\n\(logs)")
        }
        return cluster
    }

    private init(members: [Member], directory: String, token: String, authority: CertificateAuthority?) {
        self.members = members
        self.directory = directory
        self.token = token
        self.authority = authority
        processes = Mutex([:])
    }

    /// Kills member `index` at once (SIGKILL: a crash) and waits until it is gone. Its data stays.
    public func stop(member index: Int) async {
        guard let process = processes.withLock({ $0.removeValue(forKey: index) }) else { return }
        await Self.kill(process)
    }

    /// Starts member `index` again on its data (it rejoins the cluster), and waits until it answers.
    public func start(member index: Int, timeout: Duration = .seconds(30)) async throws {
        guard processes.withLock({ $0[index] == nil }) else { return }
        try launch(index, state: "existing")
        try await eventually("member \(members[index].name) answers", timeout: timeout, every: .milliseconds(100)) {
            try await self.memberAnswers(index)
        }
    }

    /// Freezes member `index` (SIGSTOP): it keeps its connections open but answers nothing, like a hung
    /// process or a black-holed network. ``resume(member:)`` thaws it.
    public func pause(member index: Int) {
        if let process = processes.withLock({ $0[index] }), process.isRunning {
            Foundation.kill(process.processIdentifier, SIGSTOP)
        }
    }

    /// Thaws a member frozen by ``pause(member:)`` (SIGCONT).
    public func resume(member index: Int) {
        if let process = processes.withLock({ $0[index] }), process.isRunning {
            Foundation.kill(process.processIdentifier, SIGCONT)
        }
    }

    /// Kills every member and removes the cluster's folder. Safe to call more than once.
    public func tearDown() async {
        let all = processes.withLock { processes in
            defer { processes.removeAll() }
            return Array(processes.values)
        }
        for process in all { await Self.kill(process) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Waits until some member reports a leader and every running member answers.
    public func waitHealthy(timeout: Duration = .seconds(30)) async throws {
        try await eventually("the etcd cluster is healthy", timeout: timeout, every: .milliseconds(100)) {
            let running = self.processes.withLock { Array($0.keys) }.sorted()
            for index in running {
                guard try await self.memberAnswers(index) else { return false }
            }
            return true
        }
    }

    /// The last lines of every member's log, for failure messages.
    public func logTails(lines: Int = 15) -> String {
        members.map { member in
            let text = (try? String(contentsOfFile: member.logPath, encoding: .utf8)) ?? ""
            return "--- \(member.name)\n" + text.split(separator: "\n").suffix(lines).joined(separator: "\n")
        }.joined(separator: "\n")
    }

    // MARK: Private

    private func launch(_ index: Int, state: String) throws {
        let member = members[index]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = [
            "--name", member.name,
            "--data-dir", member.dataDir,
            "--listen-client-urls", member.clientURL,
            "--advertise-client-urls", member.clientURL,
            "--listen-peer-urls", member.peerURL,
            "--initial-advertise-peer-urls", member.peerURL,
            "--initial-cluster", members.map { "\($0.name)=\($0.peerURL)" }.joined(separator: ","),
            "--initial-cluster-state", state,
            "--initial-cluster-token", token,
            "--log-level", "warn",
            // A member that comes back (restarted or thawed) must not force an election on the others.
            "--pre-vote",
            // Small databases and no metrics listeners: these clusters live for seconds.
            "--quota-backend-bytes", String(256 * 1024 * 1024),
        ]
        if tls {
            let certificate = tlsDirectory + "/\(member.name).pem"
            let key = tlsDirectory + "/\(member.name)-key.pem"
            process.arguments =
                (process.arguments ?? []) + [
                    "--client-cert-auth", "--trusted-ca-file", caFile, "--cert-file", certificate, "--key-file", key,
                    "--peer-client-cert-auth", "--peer-trusted-ca-file", caFile, "--peer-cert-file", certificate,
                    "--peer-key-file", key,
                ]
        }
        var environment = ProcessInfo.processInfo.environment
        environment = environment.filter { !$0.key.hasPrefix("ETCD") }
        process.environment = environment
        if !FileManager.default.fileExists(atPath: member.logPath) {
            _ = FileManager.default.createFile(atPath: member.logPath, contents: nil)
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: member.logPath))
        _ = try log.seekToEnd()
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? log.close()
        processes.withLock { $0[index] = process }
    }

    /// Whether member `index` answers its status (with the project's own client: each attempt with a deadline,
    /// client certificates on a TLS cluster) and knows a leader.
    private func memberAnswers(_ index: Int) async throws -> Bool {
        var quiet = Logger(label: "flotilla.test.etcd-health")
        quiet.logLevel = .critical
        let store = try store(endpoints: [members[index].clientURL], requestTimeout: .seconds(1), logger: quiet)
        let healthy = (try? await store.status())?.healthy ?? false
        try? await store.close()
        return healthy
    }

    /// A CA in `directory` and one certificate per member (its server and peer certificate), plus a client
    /// certificate, all with SANs 127.0.0.1 and localhost. Keys are owner-only.
    private static func makeCertificates(in directory: String, members: [Member]) throws -> CertificateAuthority {
        let authority = try CertificateAuthority.create(name: "etcd test CA")
        try authority.save(directory: directory)
        let names: [SubjectAlternativeName] = [.ip([127, 0, 0, 1]), .dns("localhost")]
        for name in members.map(\.name) + ["client"] {
            try authority.issue(host: name, alternativeNames: names)
                .save(certificate: directory + "/\(name).pem", key: directory + "/\(name)-key.pem")
        }
        return authority
    }

    private static func kill(_ process: Process) async {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        await process.exits(within: .seconds(10), every: .milliseconds(10))
    }

    /// Ports the kernel hands out for loopback right now (bound to port 0, then released).
    static func freeLoopbackPorts(_ count: Int) throws -> [Int] {
        var sockets: [Int32] = []
        defer { for fd in sockets { close(fd) } }
        var ports: [Int] = []
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw ProcessFailure("socket() failed: \(errno)") }
            sockets.append(fd)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = 0
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else { throw ProcessFailure("bind() failed: \(errno)") }
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            ports.append(Int(UInt16(bigEndian: address.sin_port)))
        }
        return ports
    }
}

/// Runs `body` with a new etcd cluster, tearing it down afterwards whatever happens.
public func withEtcdCluster<T>(size: Int = 3, tls: Bool = false, _ body: (EtcdCluster) async throws -> T) async throws -> T {
    let cluster = try await EtcdCluster.start(size: size, tls: tls)
    do {
        let result = try await body(cluster)
        await cluster.tearDown()
        return result
    } catch {
        await cluster.tearDown()
        throw error
    }
}
