import FlotillaAPI
import FlotillaClient
import FlotillaTestSupport
import Foundation
import Testing

@Suite("flotilla serve as a process", .serialized)
struct ServeProcessTests {
    @Test("a create/stop/start/pause/unpause/restart/delete round trip through the CLI, each state in get and list")
    func cliRoundTrip() async throws {
        try await FixtureStack.with { stack in
            let host = try await stack.serve(dataDir: try await stack.temporaryDirectory("serve"))
            let created = try await host.cli([
                "instance", "create", "cli-web", "--backend", "sim", "--image", "busybox", "--memory", "64MiB", "--label", "app=cli",
                "--output", "json",
            ])
            #expect(created.status == 0, "\(created.err)")
            let instance = try WireJSON.decoder().decode(Compute.Instance.self, from: Data(created.out.utf8))
            #expect(instance.state == "running")
            for (verb, state) in [
                ("stop", "stopped"), ("start", "running"), ("pause", "paused"), ("unpause", "running"), ("restart", "running"),
            ] {
                let r = try await host.cli(["instance", verb, "cli-web", "--output", "json"])
                #expect(r.status == 0, "\(verb): \(r.err)")
                let got = try await host.cli(["instance", "get", instance.id, "--output", "json"])
                #expect(try WireJSON.decoder().decode(Compute.Instance.self, from: Data(got.out.utf8)).state == state, "\(verb)")
                let listed = try await host.cli(["instance", "list", "--state", state, "--label", "app=cli", "--output", "json"])
                let list = try WireJSON.decoder().decode(Compute.InstanceList.self, from: Data(listed.out.utf8))
                #expect(list.instances.map(\.id) == [instance.id], "\(verb)")
            }
            let deleted = try await host.cli(["instance", "delete", "cli-web"])
            #expect(deleted.status == 0)
            let gone = try await host.cli(["instance", "get", instance.id])
            #expect(gone.status == 1)
            #expect(gone.err.contains("INSTANCE_NOT_FOUND"))
            let invalid = try await host.cli(["instance", "create", "x", "--backend", "vmware", "--image", "busybox"])
            #expect(invalid.status != 0)
            #expect(invalid.err.contains("error:"))
        }
    }

    @Test("SIGKILL loses no acknowledged write; the data survives the restart")
    func sigkill() async throws {
        try await FixtureStack.with { stack in
            let dir = try await stack.temporaryDirectory("serve")
            let first = try await stack.serve(dataDir: dir, stopSignal: SIGKILL)
            let acknowledged = try await FlotillaClient.withClient(baseURL: first.url, apiKey: first.apiKey) { client in
                try await withThrowingTaskGroup(of: String.self) { group in
                    for i in 0..<40 {
                        group.addTask {
                            let request = Compute.CreateRequest(
                                name: "durable-\(i)", backend: "sim", config: .init(image: "busybox"),
                                resources: .init(cpu: .init(cores: 0.1), memory: .init(limit: 16 << 20)))
                            return try await client.createInstance(request, wait: false).instance.id
                        }
                    }
                    var ids: [String] = []
                    for try await id in group { ids.append(id) }
                    return ids
                }
            }
            // Killed right after the last acknowledgement: nothing flushed on the way out.
            #expect(await first.stop(signal: SIGKILL) == 9)
            let second = try await stack.serve(dataDir: dir)
            try await FlotillaClient.withClient(baseURL: second.url, apiKey: second.apiKey) { client in
                let listed = try await client.listInstances(pageSize: 500)
                #expect(Set(listed.instances.map(\.id)) == Set(acknowledged))
                #expect(listed.total == 40)
            }
        }
    }

    @Test("SIGTERM shuts down cleanly with status 0")
    func sigterm() async throws {
        try await FixtureStack.with { stack in
            let host = try await stack.serve(dataDir: try await stack.temporaryDirectory("serve"))
            #expect(await host.stop(signal: SIGTERM) == 0)
        }
    }
}
