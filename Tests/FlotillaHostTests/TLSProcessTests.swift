import FlotillaServer
import FlotillaTLS
import FlotillaTestSupport
import Foundation
import NIOSSL
import Testing

/// A real `flotilla serve` with `--tls-cert`/`--tls-key`/`--tls-ca` (ADR 0017), reached with AsyncHTTPClient
/// over real TLS handshakes.
@Suite("TLS listeners", .serialized)
struct TLSProcessTests {
    static let secret = "tls-test-cluster-secret-0123456789"

    /// Starts a host serving `certificate` (default: a fresh one for 127.0.0.1) with the fixture's CA as the
    /// cluster CA, runs `body`, stops it.
    private func withHost<T>(
        _ tls: TLSFixture, certificate: (certificate: String, key: String)? = nil, extra: [String] = [],
        _ body: (ServeProcess) async throws -> T
    ) async throws -> T {
        let files = try certificate ?? tls.issue("h1")
        return try await FixtureStack.with { stack in
            let serve = try await stack.serve(
                dataDir: tls.directory + "/data-\(UUID().uuidString.prefix(6))",
                extra: ["--tls-cert", files.certificate, "--tls-key", files.key, "--tls-ca", tls.caFile, "--cluster-secret", Self.secret]
                    + extra)
            return try await body(serve)
        }
    }

    @Test("HTTPS: a client trusting the cluster CA is answered; another CA, an expired certificate and plain HTTP are refused")
    func handshakes() async throws {
        try await TLSFixture.with { tls in
            try await withHost(tls) { serve in
                #expect(serve.url.hasPrefix("https://127.0.0.1:"))
                let health = try await HTTPSProbe.get(serve.url + "/health", tls: try tls.client())
                #expect(health.status == 200 && health.body.contains(#""status":"ok""#), "\(health)")
                // A client that trusts another CA does not accept the host's certificate.
                let rogue = try tls.other("rogue")
                await #expect(throws: (any Error).self) { try await HTTPSProbe.get(serve.url + "/health", tls: try rogue.client()) }
                // Plain HTTP to the TLS port gets no answer: the server only speaks TLS there.
                let plain = serve.url.replacingOccurrences(of: "https://", with: "http://")
                await #expect(throws: (any Error).self) { try await HTTPSProbe.get(plain + "/health", tls: nil) }
            }
            // A host serving a certificate that expired yesterday is refused by every client that checks it.
            try await withHost(tls, certificate: try tls.issueExpired("h1")) { serve in
                let error = await #expect(throws: (any Error).self) {
                    try await HTTPSProbe.get(serve.url + "/health", tls: try tls.client())
                }
                #expect("\(error.map { "\($0)" } ?? "")".contains("CERTIFICATE_VERIFY_FAILED"))
            }
        }
    }

    @Test("a renewed certificate and key written over the old files are served without a restart")
    func reload() async throws {
        try await TLSFixture.with { tls in
            let files = try tls.issue("h1")
            let renewing = try tls.other("renewed")
            try await withHost(tls, certificate: files) { serve in
                await #expect(throws: (any Error).self) { try await HTTPSProbe.get(serve.url + "/health", tls: try renewing.client()) }
                // The renewal is signed by another CA so that a client can tell which certificate it was served.
                let renewed = try renewing.issue("h1")
                try FileManager.default.removeItem(atPath: files.certificate)
                try FileManager.default.removeItem(atPath: files.key)
                try FileManager.default.copyItem(atPath: renewed.key, toPath: files.key)
                try FileManager.default.copyItem(atPath: renewed.certificate, toPath: files.certificate)
                // The host reads its files every 2 s; generous cap for a loaded machine.
                try await eventually("the renewed certificate served", timeout: .seconds(30), every: .milliseconds(250)) {
                    (try? await HTTPSProbe.get(serve.url + "/health", tls: try renewing.client()).status) == 200
                }
                await #expect(throws: (any Error).self) { try await HTTPSProbe.get(serve.url + "/health", tls: try tls.client()) }
                #expect(serve.isRunning)
            }
        }
    }

    @Test("internal routes need a client certificate of the cluster CA, even with the cluster credential")
    func mutualTLS() async throws {
        try await TLSFixture.with { tls in
            try await withHost(tls) { serve in
                let token = ClusterCredential(secret: Self.secret).token
                let url = serve.url + "/internal/v1/instances/no-such-id/status"
                let headers = [("X-Flotilla-Cluster-Token", token)]
                // The token alone, and a forged header naming a certificate, are not enough.
                let bare = try await HTTPSProbe.get(url, tls: try tls.client(), headers: headers)
                #expect(bare.status == 401 && bare.body.contains("client certificate"), "\(bare)")
                let forged = try await HTTPSProbe.get(
                    url, tls: try tls.client(), headers: headers + [("X-Flotilla-Peer-Certificate", "CN=h2")])
                #expect(forged.status == 401, "\(forged)")
                // A certificate from another CA does not get through the handshake.
                let rogue = try tls.other("rogue")
                let rogueHost = try rogue.issue("h2")
                await #expect(throws: (any Error).self) {
                    try await HTTPSProbe.get(
                        url, tls: try TLSFiles.client(ca: tls.caFile, certificate: rogueHost.certificate, key: rogueHost.key))
                }
                // A host of this cluster, with the token, is let in (the instance does not exist: 404).
                let peer = try await HTTPSProbe.get(url, tls: try tls.client(presenting: try tls.issue("h2")), headers: headers)
                #expect(peer.status == 404, "\(peer)")
                // Its certificate alone, without the token, is not a credential.
                let noToken = try await HTTPSProbe.get(url, tls: try tls.client(presenting: try tls.issue("h3")))
                #expect(noToken.status == 401, "\(noToken)")
            }
        }
    }

    @Test("the CLI over https with --cacert; without it a TLS error and exit status 3")
    func cli() async throws {
        try await TLSFixture.with { tls in
            try await withHost(tls) { serve in
                let trusted = try await serve.cli(["instance", "list", "--cacert", tls.caFile])
                #expect(trusted.status == 0, "\(trusted)")
                let untrusted = try await serve.cli(["instance", "list"])
                #expect(untrusted.status == 3, "\(untrusted)")
                #expect(untrusted.err.contains("TLS failed"), "\(untrusted.err)")
                let missing = try await serve.cli(["instance", "list", "--cacert", tls.directory + "/missing.pem"])
                #expect(missing.status == 2 && missing.err.contains("missing.pem"), "\(missing)")
            }
        }
    }

    @Test("a non-loopback listen without TLS is refused before anything starts; --insecure starts it and warns")
    func secureByDefault() async throws {
        try await withTemporaryDirectory { dir in
            let refused = try await ServeProcess.runUntilExit(dataDir: dir + "/refused", extra: ["--listen", "0.0.0.0:0"])
            #expect(refused.status == 2, "\(refused)")
            #expect(refused.err.contains("--listen 0.0.0.0 is not a loopback address"), "\(refused.err)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/refused"), "nothing written before the refusal")
            let grpc = try await ServeProcess.runUntilExit(dataDir: dir + "/grpc", extra: ["--grpc-listen", "0.0.0.0:0"])
            #expect(grpc.status == 2 && grpc.err.contains("--grpc-listen 0.0.0.0"), "\(grpc)")
            try await FixtureStack.with { stack in
                let log = LockedBox("")
                let serve = try await stack.serve(
                    dataDir: dir + "/insecure", extra: ["--listen", "0.0.0.0:0", "--insecure", "--log-level", "info"], output: log)
                #expect(log.value.contains("--insecure: listening in plain text"), "\(log.value)")
                let port = try #require(serve.url.split(separator: ":").last)
                let health = try await HTTPSProbe.get("http://127.0.0.1:\(port)/health", tls: nil)
                #expect(health.status == 200)
            }
        }
    }
}

/// `flotilla cert`: a CA, host certificates and their summary, made by the binary users run.
@Suite("flotilla cert")
struct CertCommandProcessTests {
    @Test("init makes a CA once; issue writes an owner-only key and a certificate with the SANs; show prints them")
    func certificates() async throws {
        try await withTemporaryDirectory { dir in
            let ca = dir + "/ca"
            let made = try await Self.flotilla(["cert", "init", "--dir", ca])
            #expect(made.status == 0, "\(made)")
            let again = try await Self.flotilla(["cert", "init", "--dir", ca])
            #expect(again.status == 1 && again.err.contains("already there"), "\(again)")
            let issued = try await Self.flotilla(["cert", "issue", "--dir", ca, "--host", "h1", "--san", "10.0.0.5", "--san", "h1.lan"])
            #expect(issued.status == 0, "\(issued)")
            let mode = try FileManager.default.attributesOfItem(atPath: ca + "/h1-key.pem")[.posixPermissions] as? Int
            #expect(mode == 0o600)
            let shown = try await Self.flotilla(["cert", "show", ca + "/h1.pem"])
            #expect(shown.status == 0)
            #expect(shown.out.contains("CN=h1"))
            #expect(shown.out.contains("DNS:h1, IP:10.0.0.5, DNS:h1.lan"), "\(shown.out)")
            #expect(shown.out.contains("usage:        server, client"))
            #expect(shown.out.contains("valid, 364 days left"), "\(shown.out)")
            let json = try await Self.flotilla(["cert", "show", ca + "/ca.pem", "--output", "json"])
            #expect(json.out.contains(#""isAuthority" : true"#), "\(json.out)")
            let bad = try await Self.flotilla(["cert", "issue", "--dir", ca, "--host", "h2", "--san", "not a name"])
            #expect(bad.status == 2 && bad.err.contains("--san"), "\(bad)")
            let noCA = try await Self.flotilla(["cert", "issue", "--dir", dir + "/none", "--host", "h2"])
            #expect(noCA.status == 1 && noCA.err.contains("CA certificate"), "\(noCA)")
            let notPEM = try await Self.flotilla(["cert", "show", ca + "/h1-key.pem"])
            #expect(notPEM.status == 1 && notPEM.err.contains("no certificate"), "\(notPEM)")
        }
    }

    static func flotilla(_ arguments: [String]) async throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ServeProcess.binary)
        process.arguments = arguments
        let run = try await ProcessRun.capture(process, timeout: .seconds(60))
        return (run.status, run.out, run.err)
    }
}
