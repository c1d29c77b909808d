import FlotillaTestSupport
import Foundation
import Testing

/// `flotilla serve` on etcd over TLS (docs/decisions/0020-etcd-over-tls.md): with `--store etcds://...` and the
/// CA, client certificate and key it starts and answers `/health`; without the client certificate it refuses to
/// start, saying TLS and the certificate; TLS options that do not fit the store are refused before anything
/// starts.
@Suite("flotilla serve on etcd over TLS", .serialized, .etcdAvailable, .timeLimit(.minutes(3)))
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
            let host = try await ServeProcess.start(dataDir: folder + "/h1", extra: etcd.serveArguments + Self.common)
            do {
                let port = try #require(URL(string: host.url)?.port)
                let (status, body) = try Self.health(port: port)
                #expect(status == 200, "\(body)")
                #expect(body["status"] as? String == "ok", "\(body)")
                #expect(body["store"] as? String == "etcd", "\(body)")
                await host.stop()
            } catch {
                await host.stop()
                throw error
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

    /// `GET /health` over a plain loopback socket: the status code and the JSON body.
    static func health(port: Int) throws -> (Int?, [String: Any]) {
        let socket = try LoopbackSocket.connect(port: port)
        defer { socket.close() }
        try socket.send("GET /health HTTP/1.1\r\nHost: flotilla\r\nConnection: close\r\n\r\n")
        let answer = try socket.readToEnd(limit: 64 << 10)
        let parts = answer.prefix(while: { $0 != "\r" }).split(separator: " ")
        let status = parts.count >= 2 ? Int(parts[1]) : nil
        guard let start = answer.range(of: "\r\n\r\n")?.upperBound,
            let object = try? JSONSerialization.jsonObject(with: Data(answer[start...].utf8)) as? [String: Any]
        else { return (status, ["answer": answer]) }
        return (status, object)
    }
}
