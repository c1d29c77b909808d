import FlotillaCore
import FlotillaStore
import FlotillaTLS
import Foundation
import Logging
import NIOSSL
import Synchronization

/// A real PostgreSQL server for tests: its own data folder under a temporary folder, its own loopback port and
/// socket folder, password authentication (scram-sha-256) for the user ``user``. Made with `initdb` and run as a
/// child process (`postgres -D`, as `pg_ctl` would start it, but a child the fixture waits for) by a user that is
/// not root (PostgreSQL refuses root; as root the fixture runs it as `postgres`). ``tearDown()`` stops it at once
/// (SIGQUIT, an immediate shutdown) and removes the folder; call it whatever happens (``FixtureStack/postgres()``).
///
/// Needs PostgreSQL 15's server binaries (Debian: `apt-get install -y postgresql-15`) in ``binDirectory``.
public final class PostgresServer: Sendable {
    public static let user = "flotilla"
    public let port: Int
    /// The folder that holds the data, the log, the socket and the password file.
    public let directory: String
    public let password: String
    /// Whether the server takes TLS (`ssl=on`, a certificate for 127.0.0.1 and localhost signed by a CA of its own).
    public let tls: Bool
    private let process: Mutex<Process?>

    /// The server binaries: `FLOTILLA_POSTGRES_BIN`, else `/usr/lib/postgresql/15/bin`.
    public static var binDirectory: String {
        ProcessInfo.processInfo.environment["FLOTILLA_POSTGRES_BIN"] ?? "/usr/lib/postgresql/15/bin"
    }

    /// Whether PostgreSQL tests should run: the server is installed, or real components are required (then its
    /// absence fails them).
    public static var testsEnabled: Bool {
        EtcdCluster.realComponentsRequired || FileManager.default.isExecutableFile(atPath: binDirectory + "/postgres")
    }

    private var dataDirectory: String { directory + "/data" }
    private var logPath: String { directory + "/server.log" }

    /// The CA of the server's certificate (``tls`` servers).
    public var caFile: String { directory + "/tls/" + CertificateAuthority.certificateFile }

    private init(port: Int, directory: String, password: String, tls: Bool) {
        self.port = port
        self.directory = directory
        self.password = password
        self.tls = tls
        process = Mutex(nil)
    }

    /// Makes a new cluster and starts it; tries a second port if another process took the first meanwhile. With
    /// `tls`, the server also takes TLS connections (plain ones too, as a server that merely offers TLS).
    public static func start(tls: Bool = false) async throws -> PostgresServer {
        guard FileManager.default.isExecutableFile(atPath: binDirectory + "/postgres") else {
            throw ProcessFailure("no PostgreSQL server in \(binDirectory): apt-get install -y postgresql-15")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-pg-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let server = PostgresServer(port: 0, directory: directory, password: "pw-\(UUID().uuidString)", tls: tls)
        do {
            guard FileManager.default.createFile(atPath: directory + "/pwfile", contents: Data(server.password.utf8)) else {
                throw ProcessFailure("could not write \(directory)/pwfile")
            }
            if tls {
                let authority = try CertificateAuthority.create(name: "PostgreSQL test CA")
                try authority.save(directory: directory + "/tls")
                try authority.issue(host: "localhost", alternativeNames: [.ip([127, 0, 0, 1])])
                    .save(certificate: directory + "/tls/server.pem", key: directory + "/tls/server-key.pem")
            }
            try server.makeOwned()
            try await server.run(
                "initdb",
                [
                    "-D", server.dataDirectory, "-U", user, "--auth=scram-sha-256", "--pwfile=\(directory)/pwfile", "-E", "UTF8",
                    "--no-locale",
                ])
            var lastError: (any Error)?
            for _ in 0..<2 {
                let candidate = PostgresServer(
                    port: try EtcdCluster.freeLoopbackPorts(1)[0], directory: directory, password: server.password, tls: tls)
                do {
                    try await candidate.launch()
                    return candidate
                } catch {
                    lastError = error
                    await candidate.stopServer()
                }
            }
            throw lastError ?? ProcessFailure("PostgreSQL did not start")
        } catch {
            let log = (try? String(contentsOfFile: server.logPath, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(atPath: directory)
            throw ProcessFailure("PostgreSQL did not start: \(error)\n\(log.suffix(2000))")
        }
    }

    /// Stops the server at once and removes its folder.
    public func tearDown() async {
        await stopServer()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Starts `postgres` on ``port`` and waits until it takes a query (at most a minute).
    private func launch() async throws {
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath, isDirectory: false).creatingIfMissing())
        let ssl =
            tls
            ? ["-c", "ssl=on", "-c", "ssl_cert_file=\(directory)/tls/server.pem", "-c", "ssl_key_file=\(directory)/tls/server-key.pem"] : []
        let server = Self.asPostgresUser(
            Self.binDirectory + "/postgres",
            ["-D", dataDirectory, "-p", "\(port)", "-k", directory, "-c", "listen_addresses=127.0.0.1"] + ssl)
        server.standardOutput = output
        server.standardError = output
        try server.run()
        try? output.close()
        process.withLock { $0 = server }
        try await eventually("postgres takes a query", timeout: .seconds(60), every: .milliseconds(100)) {
            guard server.isRunning else { throw ProcessFailure("postgres exited with status \(server.terminationStatus)") }
            return (try? await sql("SELECT 1")) == "1"
        }
    }

    /// SIGQUIT: PostgreSQL's immediate shutdown; SIGKILL if it is still there after ten seconds.
    private func stopServer() async {
        guard let server = process.withLock({ $0 }) else { return }
        if server.isRunning { kill(server.processIdentifier, SIGQUIT) }
        await server.exits(within: .seconds(10), every: .milliseconds(20))
        if server.isRunning { kill(server.processIdentifier, SIGKILL) }
    }

    /// Creates an empty database; returns its name.
    @discardableResult
    public func createDatabase(_ name: String = "flotilla_\(UUID().uuidString.prefix(8).lowercased())") async throws -> String {
        try await sql("CREATE DATABASE \(name)")
        return name
    }

    /// Runs `statement` with psql as ``user`` on `database`; returns what it printed (unaligned, tuples only).
    @discardableResult
    public func sql(_ statement: String, database: String = "postgres") async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        process.arguments = [
            "-h", "127.0.0.1", "-p", "\(port)", "-U", Self.user, "-d", database, "-v", "ON_ERROR_STOP=1", "-Atc", statement,
        ]
        process.environment = ["PGPASSWORD": password, "PATH": "/usr/bin:/bin"]
        let result = try await ProcessRun.capture(process, timeout: .seconds(60))
        guard result.status == 0 else { throw ProcessFailure("psql \(statement): \(result.err)") }
        return result.out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `--store` for a host on `database`: plain TCP unless `sslmode` is given.
    public func storeSpec(_ database: String, sslmode: String = "disable") -> String {
        "postgres://\(Self.user)@127.0.0.1:\(port)/\(database)?sslmode=\(sslmode)"
    }

    /// What a `flotilla serve` on `database` needs: `--store`; its environment carries the password.
    public func serveArguments(_ database: String) -> [String] { ["--store", storeSpec(database)] }
    public var serveEnvironment: [String: String] { ["FLOTILLA_POSTGRES_PASSWORD": password] }

    /// A store client of `database` (with `sslmode`, trusting `trust`: nil is this server's CA). Close it after use.
    public func store(
        _ database: String, sslmode: String = "disable", trust: String? = nil, pollInterval: Duration = .seconds(1)
    ) async throws -> PostgresClusterStore {
        guard case .postgres(let address) = try StoreLocation.parse(storeSpec(database, sslmode: sslmode)) else {
            throw ProcessFailure("not a postgres address: \(storeSpec(database))")
        }
        var configuration = TLSConfiguration.makeClientConfiguration()
        if tls || trust != nil { configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(trust ?? caFile)) }
        return try await PostgresClusterStore.open(
            address, password: password, tls: configuration, pollInterval: pollInterval, logger: Logger(label: "flotilla.store.postgres"))
    }

    /// A process that runs `path` as `postgres` when this process is root (setpriv executes it in its own place).
    private static func asPostgresUser(_ path: String, _ arguments: [String]) -> Process {
        let process = Process()
        if getuid() == 0 {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=postgres", "--regid=postgres", "--init-groups", "--reset-env", "--", path] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = arguments
        }
        return process
    }

    /// Runs one of the server's binaries (`initdb`) to its end, its output into a file of the folder.
    private func run(_ binary: String, _ arguments: [String]) async throws {
        let process = Self.asPostgresUser(Self.binDirectory + "/" + binary, arguments)
        let outputPath = directory + "/\(binary).out"
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath).creatingIfMissing())
        defer { try? output.close() }
        process.standardOutput = output
        process.standardError = output
        try process.run()
        await process.exits(within: .seconds(90), every: .milliseconds(20))
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let printed = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            throw ProcessFailure("\(binary) failed (\(process.terminationStatus)): \(printed.suffix(2000))")
        }
    }

    /// As root, hands the folder to `postgres`, which runs the server.
    private func makeOwned() throws {
        guard getuid() == 0, let owner = getpwnam("postgres") else { return }
        for path in [directory] + ((try? FileManager.default.subpathsOfDirectory(atPath: directory)) ?? []).map({ directory + "/" + $0 }) {
            guard chown(path, owner.pointee.pw_uid, owner.pointee.pw_gid) == 0 else {
                throw ProcessFailure("chown \(path) to postgres failed: errno \(errno)")
            }
        }
    }
}

extension URL {
    /// The URL, after creating an empty file there when there is none.
    fileprivate func creatingIfMissing() -> URL {
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        return self
    }
}
