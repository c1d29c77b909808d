import FlotillaTestSupport
import Foundation
import Testing

/// `flotilla audit` against a real `flotilla serve` (started with the audit trail's options): the table, JSON,
/// the key filter, `--all` across pages, and usage errors.
@Suite("flotilla audit, real process", .serialized)
struct AuditCommandProcessTests {
    @Test("the CLI shows the recorded calls; --by-key filters; --all follows cursors; a bad --limit is a usage error")
    func auditCommand() async throws {
        try await FixtureStack.with { stack in
            let dir = try await stack.temporaryDirectory("audit")
            let serve = try await stack.serve(dataDir: dir, extra: ["--audit-max-records", "1000", "--audit-max-age", "7d"])
            let created = try await serve.cli(["key", "create", "cli-op", "--role", "operator"])
            #expect(created.status == 0, "\(created.err)")
            for i in 0..<3 {
                let gone = try await serve.cli(["instance", "delete", "00000000-0000-4000-8000-00000000000\(i)"])
                #expect(gone.status == 1, "\(gone.err)")
            }
            let table = try await serve.cli(["audit"])
            #expect(table.status == 0, "\(table.err)")
            #expect(table.out.contains("ROUTE") && table.out.contains("/api/v1/keys"), "\(table.out)")
            #expect(table.out.contains("/api/v1/compute/instances/:id") && table.out.contains("404"), "\(table.out)")

            let json = try await serve.cli(["audit", "--output", "json", "--limit", "1", "--all", "--by-key", "bootstrap"])
            #expect(json.status == 0, "\(json.err)")
            let page = try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any]
            let records = page?["records"] as? [[String: Any]] ?? []
            #expect(records.count == 4, "\(json.out)")
            #expect(records.allSatisfy { $0["key_name"] as? String == "bootstrap" })
            let ids = records.compactMap { $0["id"] as? String }
            #expect(ids == ids.sorted() && Set(ids).count == ids.count)

            let bad = try await serve.cli(["audit", "--limit", "0"])
            #expect(bad.status == 2, "\(bad.err)")
            #expect(await serve.stop() == 0)
        }
    }
}
