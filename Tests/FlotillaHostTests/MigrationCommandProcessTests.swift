import FlotillaAPI
import FlotillaClient
import FlotillaTestSupport
import Foundation
import Testing

/// `flotilla fleet migrate --live --target` and `worker drain --migrate` against one `flotilla serve` (SQLite, sim): a
/// single host has nowhere to move an instance, so every move is refused and changes nothing; the flags, the exit
/// statuses and the answers as they came (`--output json`) are what is checked here. Moves between hosts are the
/// cluster's tests.
@Suite("flotilla migrate commands as a process", .serialized)
struct MigrationCommandProcessTests {
    @Test("fleet migrate takes --live and --target (--to stays); refusals exit 1 with the server's code; get shows no move")
    func fleetMigrate() async throws {
        try await FixtureStack.with { stack in
            let host = try await stack.serve(dataDir: try await stack.temporaryDirectory("migrate-cli"))
            let made = try await host.cli([
                "fleet", "create", "m-1", "--backend", "sim", "--kind", "vm", "--image", "busybox", "--memory", "64MiB", "--wait",
                "--output", "json",
            ])
            #expect(made.status == 0, "\(made.err)")
            let id = try WireJSON.decoder().decode(Global.VM.self, from: Data(made.out.utf8)).id

            let nowhere = try await host.cli(["fleet", "migrate", "m-1", "--live"])
            #expect(nowhere.status == 1, "a single host has nowhere to move it: \(nowhere.out)")
            #expect(nowhere.err.contains("RESOURCE_LIMIT_EXCEEDED"), "\(nowhere.err)")
            for (flags, code) in [
                (["--target", "no-such-host", "--live"], "NOT_FOUND"), (["--to", "no-such-host"], "NOT_FOUND"),
                (["--target", "proc-host"], "INVALID_STATE"), (["--live", "--to", "proc-host"], "INVALID_STATE"),
            ] {
                let refused = try await host.cli(["fleet", "migrate", id] + flags)
                #expect(refused.status == 1, "\(flags): \(refused.out)")
                #expect(refused.err.contains(code), "\(flags): \(refused.err)")
            }
            for bad in [["--target", ""], ["--to", ""], ["--live=yes"]] {
                let r = try await host.cli(["fleet", "migrate", "m-1"] + bad)
                #expect(r.status == 2, "\(bad): \(r.status) \(r.err)")
            }

            let got = try await host.cli(["fleet", "get", "m-1", "--output", "json"])
            let vm = try WireJSON.decoder().decode(Global.VM.self, from: Data(got.out.utf8))
            #expect(vm.observed.state == "running" && vm.host?.id == "proc-host", "refused moves change nothing")
            #expect(vm.migration == nil && !got.out.contains("\"migration\""), "a refused move is no migration: \(got.out)")
            let table = try await host.cli(["fleet", "get", "m-1"])
            #expect(table.status == 0 && !table.out.contains("Last migration"), "\(table.out)")
            let vmTable = try await host.cli(["vm", "get", id])
            #expect(vmTable.status == 0 && vmTable.out.contains("UUID:"), "\(vmTable.out)\(vmTable.err)")
            #expect(!vmTable.out.contains("Last migration"), "\(vmTable.out)")
        }
    }

    @Test("worker drain --migrate on the only host: the answer as it came, the instance named as left, exit 1")
    func drainMigrate() async throws {
        try await FixtureStack.with { stack in
            let host = try await stack.serve(dataDir: try await stack.temporaryDirectory("drain-cli"))
            let made = try await host.cli([
                "fleet", "create", "d-1", "--backend", "sim", "--image", "busybox", "--memory", "64MiB", "--wait", "--output", "json",
            ])
            #expect(made.status == 0, "\(made.err)")
            let id = try WireJSON.decoder().decode(Global.VM.self, from: Data(made.out.utf8)).id

            let drained = try await host.cli(["worker", "drain", "proc-host", "--migrate", "--deadline", "10", "--output", "json"])
            #expect(drained.status == 1, "nothing could move: \(drained.err)")
            let change = try WireJSON.decoder().decode(Workers.StatusChange.self, from: Data(drained.out.utf8))
            #expect(change.status == "draining")
            #expect(change.notMigrated == [id], "\(drained.out)")
            #expect(change.moves?.contains { $0.id == id && $0.outcome == "moved" } != true, "\(drained.out)")
            #expect(drained.err.contains("could not be moved off proc-host") && drained.err.contains(id), "\(drained.err)")
        }
    }
}
