import FlotillaAPI
import FlotillaClient
import FlotillaTestSupport
import Foundation
import Testing

/// What a real `flotilla serve` does with its data folder and its `--api-key` (ADR 0014).
@Suite("API keys and the data folder, real process", .serialized)
struct KeyProcessTests {
    /// The files of a SQLite host's data folder that hold keys, secrets or cluster state.
    static let ownerOnlyFiles = [
        "flotilla.sqlite", "flotilla.sqlite-wal", "flotilla.sqlite-shm", "node-key", "cluster-secret", "flotilla.lock",
    ]

    @Test("the data folder is 0700 and its database, node key and secret files 0600, on a first start and after a looser one")
    func ownerOnly() async throws {
        try await withTemporaryDirectory { parent in
            let dir = parent + "/data"
            try await Self.withServe(dataDir: dir) { serve in
                // A write, so that the database's WAL holds a key record.
                let created = try await serve.cli(["key", "create", "modes", "--role", "reader"])
                #expect(created.status == 0, "\(created.err)")
                try Self.expectOwnerOnly(dir)
            }
            // A folder left (or made) readable by everyone, as before ADR 0014: tightened at the next start.
            #expect(chmod(dir, 0o755) == 0)
            for file in Self.ownerOnlyFiles where FileManager.default.fileExists(atPath: dir + "/" + file) {
                #expect(chmod(dir + "/" + file, 0o644) == 0)
            }
            try await Self.withServe(dataDir: dir) { _ in try Self.expectOwnerOnly(dir) }
        }
    }

    @Test("a revoked --api-key key stays revoked when serve starts again with the same --api-key")
    func revokedBootstrapKeyStaysRevoked() async throws {
        try await withTemporaryDirectory { dir in
            let other = try await Self.withServe(dataDir: dir) { serve in
                try await FlotillaClient.withClient(baseURL: serve.url, apiKey: serve.apiKey) { client in
                    let other = try await client.createKey(name: "ops-admin", role: "admin")
                    let bootstrap = try #require(try await client.listKeys().keys.first { $0.name == "bootstrap" })
                    _ = try await client.revokeKey(id: bootstrap.id)
                    return other.key
                }
            }
            try await Self.withServe(dataDir: dir) { serve in
                let denied = try await serve.cli(["key", "list"])
                #expect(denied.status != 0)
                #expect(denied.err.contains("Invalid API key"), "\(denied.err)")
                let names = try await FlotillaClient.withClient(baseURL: serve.url, apiKey: other) { client in
                    try await client.listKeys().keys.map(\.name)
                }
                #expect(names == ["ops-admin"])
            }
        }
    }

    static func expectOwnerOnly(_ dir: String) throws {
        #expect(try mode(dir) == 0o700, "\(dir)")
        for file in ownerOnlyFiles {
            #expect(try mode(dir + "/" + file) == 0o600, "\(file)")
        }
    }

    /// The permission bits of `path` (throws when it does not exist).
    static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    /// Runs `body` with a `flotilla serve` on `dataDir`, then stops it (awaited, also when `body` throws; its log
    /// printed when the test fails).
    static func withServe<T: Sendable>(dataDir: String, _ body: (ServeProcess) async throws -> T) async throws -> T {
        try await FixtureStack.with { stack in
            let serve = try await stack.serve(dataDir: dataDir)
            let result = try await body(serve)
            #expect(await serve.stop() == 0)
            return result
        }
    }
}
