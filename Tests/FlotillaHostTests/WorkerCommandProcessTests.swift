import FlotillaAPI
import FlotillaClient
import FlotillaTestSupport
import Foundation
import Testing

@Suite("flotilla worker / cluster as a process", .serialized)
struct WorkerCommandProcessTests {
    @Test("worker list/get/drain/activate and cluster status through the CLI against flotilla serve")
    func workerCommands() async throws {
        try await FixtureStack.with { stack in
            let host = try await stack.serve(dataDir: try await stack.temporaryDirectory("cli"), extra: ["--zone", "zone-a"])
            let created = try await host.cli([
                "instance", "create", "on-proc", "--backend", "sim", "--image", "busybox", "--memory", "64MiB",
            ])
            #expect(created.status == 0, "\(created.err)")

            let listed = try await host.cli(["worker", "list", "--zone", "zone-a", "--output", "json"])
            #expect(listed.status == 0, "\(listed.err)")
            let list = try WireJSON.decoder().decode(Workers.WorkerList.self, from: Data(listed.out.utf8))
            #expect(list.workers.map(\.id) == ["proc-host"])
            #expect(list.workers.first?.vmCount == 1)
            let other = try await host.cli(["worker", "list", "--zone", "zone-b", "--output", "json"])
            #expect(try WireJSON.decoder().decode(Workers.WorkerList.self, from: Data(other.out.utf8)).total == 0)
            let table = try await host.cli(["worker", "list"])
            #expect(table.out.contains("proc-host"))
            #expect(table.out.contains("active"))

            let got = try await host.cli(["worker", "get", "proc-host"])
            #expect(got.status == 0)
            #expect(got.out.contains("Zone:"))
            #expect(got.out.contains("zone-a"))
            let missing = try await host.cli(["worker", "get", "nope"])
            #expect(missing.status == 1)
            #expect(missing.err.contains("Worker not found: nope"), "\(missing.err)")

            let drained = try await host.cli(["worker", "drain", "proc-host", "--output", "json"])
            #expect(drained.status == 0, "\(drained.err)")
            #expect(try WireJSON.decoder().decode(Workers.StatusChange.self, from: Data(drained.out.utf8)).status == "draining")
            let refused = try await host.cli(["instance", "create", "no-room", "--backend", "sim", "--image", "busybox"])
            #expect(refused.status == 1)
            #expect(refused.err.contains("RESOURCE_LIMIT_EXCEEDED"))
            let badDeadline = try await host.cli(["worker", "drain", "proc-host", "--deadline", "5"])
            #expect(badDeadline.status == 2)

            let status = try await host.cli(["cluster", "status", "--output", "json"])
            #expect(status.status == 0, "\(status.err)")
            let figures = try WireJSON.decoder().decode(OutputFormatter.ClusterStatus.self, from: Data(status.out.utf8))
            #expect(figures.stats.totalWorkers == 1)
            #expect(figures.stats.drainingWorkers == 1)
            #expect(figures.stats.totalVms == 1)
            #expect(figures.stats.zones == ["zone-a": 1])
            #expect(figures.distribution.distribution.first?.vms.map(\.name) == ["on-proc"])
            let statusTable = try await host.cli(["cluster", "status"])
            #expect(statusTable.out.contains("1 draining"))
            #expect(statusTable.out.contains("on-proc"))

            let activated = try await host.cli(["worker", "activate", "proc-host"])
            #expect(activated.status == 0)
            #expect(activated.out.contains("proc-host: active."))
            let again = try await host.cli([
                "instance", "create", "room-again", "--backend", "sim", "--image", "busybox", "--memory", "64MiB",
            ])
            #expect(again.status == 0, "\(again.err)")
        }
    }

    @Test("a drained host stays drained across a restart; activate survives one too")
    func drainSurvivesRestart() async throws {
        try await FixtureStack.with { stack in
            let dir = try await stack.temporaryDirectory("cli")
            let first = try await stack.serve(dataDir: dir)
            let drained = try await first.cli(["worker", "drain", "proc-host"])
            #expect(drained.status == 0, "\(drained.err)")
            #expect(await first.stop(signal: SIGTERM) == 0)

            let second = try await stack.serve(dataDir: dir)
            let got = try await second.cli(["worker", "get", "proc-host", "--output", "json"])
            #expect(got.status == 0, "\(got.err)")
            let worker = try WireJSON.decoder().decode(Workers.Worker.self, from: Data(got.out.utf8))
            #expect(worker.status == "draining")
            #expect(worker.isHealthy)
            #expect(try await second.cli(["worker", "activate", "proc-host"]).status == 0)
            #expect(await second.stop(signal: SIGTERM) == 0)

            let third = try await stack.serve(dataDir: dir)
            let again = try await third.cli(["worker", "get", "proc-host", "--output", "json"])
            #expect(try WireJSON.decoder().decode(Workers.Worker.self, from: Data(again.out.utf8)).status == "active")
        }
    }
}
