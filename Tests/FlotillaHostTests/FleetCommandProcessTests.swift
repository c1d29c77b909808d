import FlotillaAPI
import FlotillaClient
import FlotillaTestSupport
import Foundation
import Testing

/// `flotilla fleet` and `-q` against a real `flotilla serve` (SQLite, sim). Migration between two hosts needs a
/// cluster; here the single host's refusal is checked (no other host can take the instance).
@Suite("flotilla fleet as a process", .serialized)
struct FleetCommandProcessTests {
    static func list(_ out: String) throws -> Global.VMList {
        try WireJSON.decoder().decode(Global.VMList.self, from: Data(out.utf8))
    }

    static func ids(_ out: String) -> [String] { out.split(separator: "\n").map(String.init) }

    @Test("ls pages through everything (page size 2), filters, label selectors, --limit, -q; get, status, create, delete, migrate")
    func fleet() async throws {
        try await FixtureStack.with { stack in
            let host = try await stack.serve(dataDir: try await stack.temporaryDirectory("fleet"), extra: ["--zone", "z1"])
            for (name, tier) in [("f-1", "web"), ("f-2", "db"), ("f-3", "web"), ("f-4", "db")] {
                let made = try await host.cli([
                    "fleet", "create", name, "--backend", "sim", "--image", "busybox", "--memory", "64MiB", "-l", "tier=\(tier)",
                ])
                #expect(made.status == 0, "\(made.err)")
                #expect(made.out.contains("\(name) ("), "\(made.out)")
            }
            let waited = try await host.cli([
                "fleet", "create", "f-5", "--backend", "sim", "--image", "busybox", "--memory", "64MiB", "--wait", "--output", "json",
            ])
            #expect(waited.status == 0, "\(waited.err)")
            #expect(try WireJSON.decoder().decode(Global.VM.self, from: Data(waited.out.utf8)).observed.state == "running")

            let all = try await host.cli(["fleet", "ls", "--page-size", "2", "--output", "json"])
            #expect(all.status == 0, "\(all.err)")
            let everything = try Self.list(all.out)
            #expect(everything.items.map(\.name) == ["f-1", "f-2", "f-3", "f-4", "f-5"], "oldest first, across three pages")
            #expect(everything.nextCursor == nil)

            let capped = try Self.list(try await host.cli(["fleet", "ls", "--page-size", "2", "--limit", "3", "--output", "json"]).out)
            #expect(capped.items.map(\.name) == ["f-1", "f-2", "f-3"])
            #expect(capped.nextCursor != nil, "more match")
            let cappedTable = try await host.cli(["fleet", "ls", "--limit", "1"])
            #expect(cappedTable.out.contains("more instances match"), "\(cappedTable.out)")

            let byName = Dictionary(uniqueKeysWithValues: everything.items.map { ($0.name, $0.id) })
            let web = try await host.cli(["fleet", "ls", "-l", "tier=web", "-q", "--page-size", "1"])
            #expect(web.status == 0, "\(web.err)")
            #expect(Self.ids(web.out) == [byName["f-1"], byName["f-3"]].compactMap { $0 })
            let notWeb = try await host.cli(["fleet", "ls", "-l", "tier!=web", "-q"])
            #expect(Self.ids(notWeb.out) == ["f-2", "f-4", "f-5"].compactMap { byName[$0] })
            let both = try await host.cli(["fleet", "ls", "-l", "tier", "-l", "tier!=db", "-q"])
            #expect(Self.ids(both.out) == ["f-1", "f-3"].compactMap { byName[$0] }, "repeated -l: all must hold")
            // --zone and --host select by the host an instance is placed on: wait for the leader to place all five.
            try await eventually("all five placed in zone z1", timeout: .seconds(30)) {
                Self.ids(try await host.cli(["fleet", "ls", "--zone", "z1", "-q"]).out).count == 5
            }
            #expect(try await host.cli(["fleet", "ls", "--zone", "z9", "-q"]).out == "")
            #expect(Self.ids(try await host.cli(["fleet", "ls", "--host", "proc-host", "--backend", "sim", "-q"]).out).count == 5)
            let table = try await host.cli(["fleet", "ls"])
            #expect(table.out.hasPrefix("ID "), "\(table.out)")
            #expect(table.out.contains("proc-host"))

            let got = try await host.cli(["fleet", "get", "f-3"])
            #expect(got.status == 0, "\(got.err)")
            #expect(got.out.contains("Labels:") && got.out.contains("tier=web"), "\(got.out)")
            let gotJSON = try await host.cli(["fleet", "get", try #require(byName["f-3"]), "--output", "json"])
            #expect(try WireJSON.decoder().decode(Global.VM.self, from: Data(gotJSON.out.utf8)).name == "f-3")
            try await eventually("f-3 runs", timeout: .seconds(30)) {
                let s = try await host.cli(["fleet", "status", "f-3", "--output", "json"])
                return s.status == 0 && (try? WireJSON.decoder().decode(Global.Status.self, from: Data(s.out.utf8)))?.state == "running"
            }
            let status = try await host.cli(["fleet", "status", "f-3"])
            #expect(status.out.contains("Served by: proc-host\n"), "\(status.out)")

            let migrate = try await host.cli(["fleet", "migrate", "f-3"])
            #expect(migrate.status == 1, "a single host has nowhere to move it: \(migrate.out)")
            #expect(migrate.err.contains("RESOURCE_LIMIT_EXCEEDED"), "\(migrate.err)")
            for (to, code) in [("proc-host", "INVALID_STATE"), ("no-such-host", "NOT_FOUND")] {
                let refused = try await host.cli(["fleet", "migrate", "f-3", "--to", to])
                #expect(refused.status == 1, "--to \(to): \(refused.out)")
                #expect(refused.err.contains(code), "--to \(to): \(refused.err)")
            }
            let unmoved = try await host.cli(["fleet", "get", "f-3", "--output", "json"])
            #expect(try WireJSON.decoder().decode(Global.VM.self, from: Data(unmoved.out.utf8)).observed.state == "running")

            let deleted = try await host.cli(["fleet", "delete", "f-3", "--wait"])
            #expect(deleted.status == 0, "\(deleted.err)")
            let gone = try await host.cli(["fleet", "get", try #require(byName["f-3"])])
            #expect(gone.status == 1)
            #expect(gone.err.contains("INSTANCE_NOT_FOUND"), "\(gone.err)")
            #expect(try await host.cli(["fleet", "status", "no-such-name"]).status == 1)
        }
    }

    @Test("bad input exits 2 before any request; an unreachable server exits 3")
    func exitCodes() async throws {
        try await FixtureStack.with { stack in
            let host = try await stack.serve(dataDir: try await stack.temporaryDirectory("fleet"))
            for bad in [
                ["fleet", "ls", "-l", "=x"], ["fleet", "ls", "--state", "nope"], ["fleet", "ls", "--page-size", "0"],
                ["fleet", "ls", "--page-size", "501"], ["fleet", "ls", "--limit", "0"], ["fleet", "ls", "--backend", "vmware"],
                ["fleet", "ls", "-q", "--output", "json"], ["fleet", "create", "x", "--backend", "sim", "--image", "b", "--memory", "0"],
                ["fleet", "create", "x", "--backend", "sim", "--image", "b", "-l", "novalue"], ["fleet", "get"],
                ["events", "--since", "-1"], ["instance", "list", "-q", "--output", "json"], ["fleet", "bogus"],
                ["fleet", "migrate", "x", "--to", ""],
            ] {
                let r = try await host.cli(bad)
                #expect(r.status == 2, "\(bad): \(r.status) \(r.err)")
            }
            for unreachable in [["fleet", "ls"], ["fleet", "get", "x"], ["events"], ["events", "--follow"]] {
                let r = try await host.cli(unreachable + ["--url", "http://127.0.0.1:1"])
                #expect(r.status == 3, "\(unreachable): \(r.status) \(r.err)")
                #expect(r.err.contains("cannot reach"), "\(r.err)")
            }
        }
    }

    @Test("-q prints exactly the ids of the JSON list on every list command")
    func quietEverywhere() async throws {
        try await FixtureStack.with { stack in
            let host = try await stack.serve(dataDir: try await stack.temporaryDirectory("quiet"))
            let made = try await host.cli(["instance", "create", "q-1", "--backend", "sim", "--image", "busybox", "--memory", "64MiB"])
            #expect(made.status == 0, "\(made.err)")
            let cases: [([String], (Data) throws -> [String])] = [
                (["instance", "list"], { try WireJSON.decoder().decode(Compute.InstanceList.self, from: $0).instances.map(\.id) }),
                (["vm", "list"], { try WireJSON.decoder().decode(VMs.VMList.self, from: $0).items.map(\.uuid) }),
                (["flavor", "list"], { try WireJSON.decoder().decode(VMs.FlavorList.self, from: $0).items.map(\.id) }),
                (["image", "list"], { try WireJSON.decoder().decode(VMs.ImageList.self, from: $0).items.map(\.id) }),
                (["worker", "list"], { try WireJSON.decoder().decode(Workers.WorkerList.self, from: $0).workers.map(\.id) }),
                (["key", "list"], { try WireJSON.decoder().decode(Keys.List.self, from: $0).keys.map(\.id) }),
                (["fleet", "ls"], { try WireJSON.decoder().decode(Global.VMList.self, from: $0).items.map(\.id) }),
            ]
            for (command, ids) in cases {
                let json = try await host.cli(command + ["--output", "json"])
                #expect(json.status == 0, "\(command): \(json.err)")
                let quiet = try await host.cli(command + ["-q"])
                #expect(quiet.status == 0, "\(command): \(quiet.err)")
                #expect(Self.ids(quiet.out) == (try ids(Data(json.out.utf8))), "\(command)")
                #expect(!["instance", "worker", "fleet"].contains(command[0]) || !quiet.out.isEmpty, "\(command) lists something here")
            }
        }
    }
}
