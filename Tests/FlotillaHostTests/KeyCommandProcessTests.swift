import FlotillaAPI
import FlotillaClient
import FlotillaCore
import FlotillaTestSupport
import Foundation
import Testing

/// `flotilla key create --expires-in`, `key list`, `key rotate` and a 429 at the command line, against a real
/// `flotilla serve --rate-limit` (ADR 0019).
@Suite("Key lifecycle at the command line, real process", .serialized)
struct KeyCommandProcessTests {
    @Test("create with --expires-in, list its expiry, rotate with --grace 0s: the old key gets 401, a 429 says when to retry")
    func lifecycle() async throws {
        try await FixtureStack.with { stack in
            let dir = try await stack.temporaryDirectory("keys")
            let serve = try await stack.serve(dataDir: dir + "/data", extra: ["--rate-limit", "reader=0.05/2"])
            let created = try await serve.cli(["key", "create", "ci", "--role", "reader", "--expires-in", "30d", "--output", "json"])
            #expect(created.status == 0, "\(created.err)")
            let key = try WireJSON.decoder().decode(Keys.Created.self, from: Data(created.out.utf8))
            let expiresAt = try #require(key.expiresAt)
            #expect(abs(expiresAt.timeIntervalSinceNow - 30 * 86_400) < 600, "\(expiresAt)")

            let listed = try await serve.cli(["key", "list"])
            #expect(listed.status == 0, "\(listed.err)")
            #expect(listed.out.contains("EXPIRES") && listed.out.contains("LAST USED"), "\(listed.out)")
            #expect(listed.out.contains(OutputFormatter.timestamp(expiresAt)), "\(listed.out)")
            #expect(!listed.out.contains(key.key), "no secret in a listing")

            let rotated = try await serve.cli(["key", "rotate", "ci", "--grace", "0s"])
            #expect(rotated.status == 0, "\(rotated.err)")
            #expect(rotated.out.contains("Created API key 'ci-r2'") && rotated.out.contains("it has stopped working"), "\(rotated.out)")
            let newSecret = try #require(
                rotated.out.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.first { $0.hasPrefix("flt_") })

            let old = try await serve.cli(["instance", "list", "--api-key", key.key])
            #expect(old.status == 1, "\(old.out)")
            #expect(old.err.contains("This API key has expired (UNAUTHORIZED, HTTP 401)"), "\(old.err)")

            // The new reader key: a burst of 2, then a 429 that says when to retry (a token every 20 s: a slow
            // machine does not get one back between the calls).
            var results: [(status: Int32, out: String, err: String)] = []
            for _ in 0..<3 { results.append(try await serve.cli(["instance", "list", "--api-key", newSecret])) }
            #expect(results.prefix(2).allSatisfy { $0.status == 0 }, "\(results.map(\.err))")
            #expect(results[2].status == 1)
            #expect(results[2].err.contains("(RATE_LIMITED, HTTP 429)") && results[2].err.contains("retry in "), "\(results[2].err)")
            #expect(await serve.stop() == 0)
        }
    }

    @Test("serve refuses a --rate-limit it cannot read, saying what is wrong")
    func badRateLimit() async throws {
        try await withTemporaryDirectory { dir in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: ServeProcess.binary)
            p.arguments = ["serve", "--listen", "127.0.0.1:0", "--data-dir", dir, "--rate-limit", "root=1/2"]
            let run = try await ProcessRun.capture(p, timeout: .seconds(60))
            #expect(run.status != 0)
            #expect(run.err.contains("--rate-limit: 'root' is not a role: use admin, operator or reader"), "\(run.err)")
        }
    }
}
