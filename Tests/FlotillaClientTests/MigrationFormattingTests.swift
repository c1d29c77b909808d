import FlotillaAPI
import FlotillaClient
import Foundation
import Testing

/// What `flotilla` prints about a migration (docs/decisions/0027-live-migration.md): the line of `fleet get`,
/// `vm get` and `fleet migrate`, and the moves of `worker drain --migrate`.
@Suite("Migration formatting")
struct MigrationFormattingTests {
    static let at = Date(timeIntervalSince1970: 1_764_504_000)  // 2025-11-30T12:00:00Z

    static let live = Global.Migration(
        mode: "live", outcome: "moved", from: "a", to: "b",
        figures: .init(totalMs: 1800, downtimeMs: 42, diskMs: 300, memoryBytes: 130 << 20, diskBytes: 1 << 30), at: at)
    static let cold = Global.Migration(
        mode: "cold", outcome: "moved", from: "a", to: "b", reason: "docker containers move cold: no CRIU", at: at)
    static let failed = Global.Migration(
        mode: "live", outcome: "failed", from: "a", to: "b", reason: "the destination stopped answering", at: at)

    static func vm(_ migration: Global.Migration?) -> Global.VM {
        Global.VM(
            id: "a1", name: "counter", kind: "vm", backend: "kvm",
            spec: .init(
                image: "flotilla-guest", resources: .init(cpuCores: 1, memoryMB: 128, storageGB: 1), labels: [:], metadata: [:],
                placement: .init()),
            desired: "running", observed: .init(state: "running", description: nil, launchedAt: nil, terminatedAt: nil),
            host: .init(id: "b", address: nil, zone: nil), revisions: .init(created: 1, modified: 2), createdAt: at,
            updatedAt: at, migration: migration)
    }

    @Test("a live move shows its downtime and total; a cold one why it was cold; a failure its reason")
    func summaries() {
        #expect(
            OutputFormatter.migrationSummary(Self.live)
                == "moved live from a to b (downtime 42 ms, total 1.8 s, disks 300 ms, 130MiB memory, 1GiB disk)")
        #expect(OutputFormatter.migrationSummary(Self.cold) == "moved cold from a to b: docker containers move cold: no CRIU")
        #expect(OutputFormatter.migrationSummary(Self.failed) == "live move from a to b failed: the destination stopped answering")
        var under = Self.live
        (under.outcome, under.figures) = ("migrating", nil)
        #expect(OutputFormatter.migrationSummary(under) == "live move from a to b under way")
        #expect(
            OutputFormatter.migrationFigures(.init(totalMs: 950, downtimeMs: 7)) == "downtime 7 ms, total 950 ms",
            "figures not measured are left out")
    }

    @Test("fleet get and vm get show the last migration with its time, and nothing when there was none")
    func details() {
        #expect(
            OutputFormatter.fleetDetail(Self.vm(Self.cold)).contains(
                "Last migration: moved cold from a to b: docker containers move cold: no CRIU, 2025-11-30T12:00:00Z\n"))
        #expect(!OutputFormatter.fleetDetail(Self.vm(nil)).contains("migration"))
        let c = VMOutputTests.vm("counter")
        #expect(OutputFormatter.vmDetail(c, migration: Self.live).contains("Last migration: moved live from a to b (downtime 42 ms"))
        #expect(OutputFormatter.vmDetail(c, migration: nil) == OutputFormatter.vmDetail(c))
    }

    @Test("fleet migrate prints where the instance runs, then how this move went")
    func migrateResult() {
        #expect(
            OutputFormatter.fleetMigrateResult(Self.vm(Self.live), migration: Self.live)
                == "counter (a1): running on b\n"
                + "counter: moved live from a to b (downtime 42 ms, total 1.8 s, disks 300 ms, 130MiB memory, 1GiB disk)\n")
        #expect(OutputFormatter.fleetMigrateResult(Self.vm(Self.live), migration: nil) == "counter (a1): running on b\n")
    }

    @Test("worker drain --migrate lists each instance's move with its reason; a plain drain lists none")
    func drainMoves() {
        let change = Workers.StatusChange(
            workerId: "a", status: "draining", message: "Worker marked as draining.", migrated: ["v1", "c1"], notMigrated: ["v2"],
            moves: [
                .init(id: "c1", mode: "cold", outcome: "moved", to: "b", reason: "docker containers move cold"),
                .init(id: "v1", mode: "live", outcome: "moved", to: "b"),
                .init(id: "v2", mode: "live", outcome: "failed", to: "b", reason: "timed out"),
            ])
        let lines = OutputFormatter.workerStatusChange(change).split(separator: "\n").map(String.init)
        #expect(lines[0] == "a: draining. Worker marked as draining.")
        #expect(lines[1] == "Migrated: v1, c1")
        #expect(lines[2] == "Not migrated: v2")
        #expect(lines[3] == "Moves:")
        #expect(lines[4].hasPrefix("ID   MODE   OUTCOME   TO   REASON"), "\(lines[4])")
        #expect(lines[5] == "c1   cold   moved     b    docker containers move cold")
        #expect(lines[6] == "v1   live   moved     b    -")
        #expect(lines[7] == "v2   live   failed    b    timed out")
        #expect(!OutputFormatter.workerStatusChange(.init(workerId: "a", status: "active", message: "m")).contains("Moves"))
    }
}
