import FlotillaTestSupport
import Foundation
import Testing

/// `flotilla serve` on etcd over TLS (docs/decisions/0020-etcd-over-tls.md): with `--store etcds://...` and the
/// CA, client certificate and key it starts and answers `/health`; without the client certificate it refuses to
/// start, saying TLS and the certificate; three hosts on a 3-member TLS etcd form one cluster; TLS options that
/// do not fit the store are refused before anything starts.
@Suite("flotilla serve on etcd over TLS", .serialized, .etcdAvailable, .timeLimit(.minutes(4)))
struct EtcdTLSServeTests {
    /// Runs `body` with a 1-member TLS etcd and a folder, both removed afterwards, last in first out.
    func withTLSEtcd(_ body: (EtcdCluster, String) async throws -> Void) async throws {
        try await FixtureStack.with { stack in
            let etcd = try await EtcdCluster.start(size: 1, tls: true)
            await stack.push("etcd \(etcd.directory)") { await etcd.tearDown() }
            try await body(etcd, try await stack.temporaryDirectory("etcd-tls-serve"))
        }
    }

    static let common = ["--cluster-secret", "etcd-tls-test-secret", "--host-id", "tls-h1"]

    @Test("with --store etcds://, --etcd-cacert, --etcd-cert and --etcd-key the host starts and /health answers 200 ok")
    func startsOnTLSEtcd() async throws {
        try await withTLSEtcd { etcd, folder in
            #expect(etcd.serveArguments.contains("--etcd-cert"))
            try await FixtureStack.with { stack in
                let host = try await stack.serve(dataDir: folder + "/h1", extra: etcd.serveArguments + Self.common)
                let port = try #require(URL(string: host.url)?.port)
                let (status, body) = try Self.health(port: port)
                #expect(status == 200, "\(body)")
                #expect(body["status"] as? String == "ok", "\(body)")
                #expect(body["store"] as? String == "etcd", "\(body)")
            }
        }
    }

    @Test("without --etcd-cert and --etcd-key the host refuses to start: the error names TLS and the certificate")
    func refusesWithoutClientCertificate() async throws {
        try await withTLSEtcd { etcd, folder in
            let arguments = ["--store", etcd.storeSpec, "--etcd-cacert", etcd.caFile] + Self.common
            let run = try await ServeProcess.runUntilExit(dataDir: folder + "/h1", extra: arguments, timeout: .seconds(60))
            #expect(run.status != 0)
            #expect(run.err.contains("TLS"), "\(run.err)")
            #expect(run.err.contains("client certificate"), "\(run.err)")
            #expect(!run.out.contains("listening on"), "\(run.out)")
        }
    }

    @Test("three hosts on a 3-member TLS etcd elect one leader and each sees all three workers healthy")
    func threeHostsOnTLSEtcd() async throws {
        try await FixtureStack.with { stack in
            let etcd = try await EtcdCluster.start(size: 3, tls: true)
            await stack.push("etcd \(etcd.directory)") { await etcd.tearDown() }
            let folder = try await stack.temporaryDirectory("etcd-tls-cluster")
            var hosts: [ServeProcess] = []
            for i in 1...3 {
                let arguments = etcd.serveArguments + ["--cluster-secret", "etcd-tls-test-secret", "--host-id", "h\(i)"]
                hosts.append(try await stack.serve(dataDir: folder + "/h\(i)", extra: arguments, stopSignal: SIGKILL))
            }
            let ports = try hosts.map { try #require(URL(string: $0.url)?.port) }
            // Generous cap: an election and three heartbeats on a loaded 2-core machine.
            var seen = ""
            do {
                try await eventually("one leader, three workers healthy on every host", timeout: .seconds(30), every: .milliseconds(200)) {
                    var leaders = Set<String>()
                    for (port, host) in zip(ports, hosts) {
                        let health = (try? Self.health(port: port).1) ?? [:]
                        seen = "health of \(host.url): \(health)"
                        guard let leader = health["leader"] as? String else { return false }
                        leaders.insert(leader)
                        let listing = (try? Self.get("/api/v1/workers", port: port, key: host.apiKey)) ?? [:]
                        seen = "workers at \(host.url): \(listing)"
                        let workers = listing["workers"] as? [[String: Any]] ?? []
                        let online = workers.filter { $0["is_healthy"] as? Bool == true }.compactMap { $0["id"] as? String }
                        guard Set(online) == ["h1", "h2", "h3"] else { return false }
                    }
                    return leaders.count == 1
                }
            } catch {
                throw ProcessFailure("\(error); last seen: \(seen)")
            }
        }
    }

    /// Options refused before anything starts (no etcd needed: the folder stays empty, no lock is taken).
    @Test(
        "TLS options that do not fit the store are refused before anything starts",
        arguments: [
            (["--store", "etcd://127.0.0.1:1", "--etcd-cacert", "/nonexistent/ca.pem"], "etcds://127.0.0.1:1"),
            (["--store", "sqlite", "--etcd-cert", "/c.pem", "--etcd-key", "/k.pem"], "etcds://"),
            (["--store", "etcds://127.0.0.1:1", "--etcd-cert", "/c.pem"], "--etcd-cert needs --etcd-key"),
            (["--store", "etcds://127.0.0.1:1", "--etcd-key", "/k.pem"], "--etcd-key needs --etcd-cert"),
            (["--store", "etcds://127.0.0.1:1", "--etcd-cacert", "/nonexistent/ca.pem"], "/nonexistent/ca.pem"),
        ])
    func refusedOptions(_ arguments: [String], _ said: String) async throws {
        try await withTemporaryDirectory { folder in
            let run = try await ServeProcess.runUntilExit(
                dataDir: folder + "/h1", extra: arguments + Self.common, timeout: .seconds(60))
            #expect(run.status != 0)
            #expect(run.err.contains(said), "\(run.err)")
            #expect(!run.out.contains("listening on"), "\(run.out)")
        }
    }

    /// The JSON object `GET path` answers with the API key `key`.
    static func get(_ path: String, port: Int, key: String) throws -> [String: Any] {
        try request(path, port: port, headers: "X-API-Key: \(key)\r\n").1
    }

    /// `GET /health` over a plain loopback socket: the status code and the JSON body.
    static func health(port: Int) throws -> (Int?, [String: Any]) {
        try request("/health", port: port, headers: "")
    }

    /// `GET path` over a plain loopback socket (the hosts listen on loopback without TLS): the status code and the
    /// JSON body.
    static func request(_ path: String, port: Int, headers: String) throws -> (Int?, [String: Any]) {
        let socket = try LoopbackSocket.connect(port: port)
        defer { socket.close() }
        try socket.send("GET \(path) HTTP/1.1\r\nHost: flotilla\r\n\(headers)Connection: close\r\n\r\n")
        let answer = try socket.readToEnd(limit: 64 << 10)
        let parts = answer.prefix(while: { $0 != "\r" }).split(separator: " ")
        let status = parts.count >= 2 ? Int(parts[1]) : nil
        guard let start = answer.range(of: "\r\n\r\n")?.upperBound,
            let object = try? JSONSerialization.jsonObject(with: Data(answer[start...].utf8)) as? [String: Any]
        else { return (status, ["answer": answer]) }
        return (status, object)
    }
}
