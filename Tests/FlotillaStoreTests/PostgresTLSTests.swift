import FlotillaCore
import FlotillaStore
import FlotillaTLS
import FlotillaTestSupport
import Foundation
import Testing

/// TLS to the PostgreSQL store (ADR 0030): used when the server offers it (`prefer`, the default), never with
/// `disable`, and with `verify-full` only to a server whose certificate the given CA signed.
@Suite("PostgreSQL store over TLS", .postgresAvailable, .serialized, .timeLimit(.minutes(2)))
struct PostgresTLSTests {
    /// Whether every connection the store made (application `flotilla`) is encrypted, asked on the server.
    func encrypted(_ server: PostgresServer, _ database: String) async throws -> [String] {
        try await server.sql(
            "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'flotilla' AND a.datname = '\(database)'"
        ).split(separator: "\n").map(String.init)
    }

    @Test("a server that offers TLS: prefer and verify-full connect encrypted, disable in plain text, a stranger's CA is refused")
    func modes() async throws {
        try await FixtureStack.with { stack in
            let server = try await PostgresServer.start(tls: true)
            await stack.push("postgres \(server.directory)") { await server.tearDown() }
            for (mode, expected) in [("prefer", "t"), ("verify-full", "t"), ("disable", "f")] {
                let database = try await server.createDatabase()
                let store = try await server.store(database, sslmode: mode)
                try await store.put("tls/\(mode)", value: Data(mode.utf8))
                let states = try await encrypted(server, database)
                await store.close()
                #expect(!states.isEmpty && states.allSatisfy { $0 == expected }, "\(mode): \(states)")
            }

            let stranger = try await stack.temporaryDirectory("stranger-ca")
            try CertificateAuthority.create(name: "not the server's CA").save(directory: stranger)
            let database = try await server.createDatabase()
            await #expect {
                try await server.store(database, sslmode: "verify-full", trust: stranger + "/" + CertificateAuthority.certificateFile)
            } throws: { error in
                "\(error)".contains("store unavailable: postgres")
            }
        }
    }
}
