import FlotillaBackends
import FlotillaCore
import FlotillaTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Docker-specific behaviour, checked against the daemon itself (through the `docker` CLI).
@Suite(.docker) struct DockerBackendTests {
    func newId() -> String { UUID().uuidString.lowercased() }

    /// Runs `body`, then force-removes the containers of `ids` whatever happened.
    func withContainers(
        _ docker: DockerDaemon, _ ids: [String], _ body: () async throws -> Void
    ) async throws {
        defer { for id in ids { _ = try? docker.cli(["rm", "-f", "flotilla-\(id)"]) } }
        try await body()
    }

    @Test("ports, env, volumes, labels, cpu and memory limits are really applied; restarts are left to Flotilla")
    func configurationApplied() async throws {
        let docker = try await DockerFixture.shared.daemon()
        try docker.ensureNetwork()
        let backend = docker.backend()
        let id = newId()
        let shared = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-vol-\(id.prefix(8))").path
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: shared) }
        let config = InstanceConfig(
            image: DockerFixture.image,
            command: ["sh", "-c", "echo \"$GREETING\" > /data/hello.txt; exec httpd -f -p 8080 -h /data"],
            env: ["GREETING=hello from flotilla"], volumes: ["\(shared):/data", "/scratch"],
            ports: ["127.0.0.1::8080"], networkMode: DockerFixture.network, restartPolicy: "on-failure:3")
        let request = DockerFixtures.request(
            id: id, name: "configured", config: config, resources: Resources(cpuCores: 0.5, memoryBytes: 96 << 20),
            labels: ["team": "infra"])
        try await withContainers(docker, [id]) {
            try await backend.create(request)
            try await backend.start(id: id)
            #expect(try await backend.inspect(id: id).state == .running)

            let c = try #require(try docker.inspect("flotilla-\(id)"), "docker knows the container")
            let host = try #require(c["HostConfig"] as? [String: Any])
            #expect(host["NanoCpus"] as? Int == 500_000_000)
            #expect(host["Memory"] as? Int == 96 << 20)
            #expect((host["Binds"] as? [String]) == ["\(shared):/data"])
            #expect(host["NetworkMode"] as? String == DockerFixture.network)
            // config.restartPolicy is Flotilla's own policy (the agent restarts): the daemon must not restart too.
            let policy = try #require(host["RestartPolicy"] as? [String: Any])
            #expect(["", "no"].contains(policy["Name"] as? String ?? "?"), "\(policy)")
            let cfg = try #require(c["Config"] as? [String: Any])
            let env = (cfg["Env"] as? [String]) ?? []
            #expect(env.contains("GREETING=hello from flotilla"))
            let labels = try #require(cfg["Labels"] as? [String: String])
            #expect(labels["io.flotilla.instance"] == id)
            #expect(labels["io.flotilla.name"] == "configured")
            #expect(labels["team"] == "infra")
            let mounts = (c["Mounts"] as? [[String: Any]] ?? []).compactMap { $0["Destination"] as? String }
            #expect(Set(mounts) == ["/data", "/scratch"])

            // The published port answers, and serves the file the container wrote with its env into the volume.
            let ports = try #require((c["NetworkSettings"] as? [String: Any])?["Ports"] as? [String: Any])
            let binding = try #require((ports["8080/tcp"] as? [[String: Any]])?.first)
            let hostPort = try #require((binding["HostPort"] as? String).flatMap(Int.init))
            let served = try await eventuallyValue("the published port answers", timeout: .seconds(5), every: .milliseconds(100)) {
                try? await Self.fetch("http://127.0.0.1:\(hostPort)/hello.txt")
            }
            #expect(served == "hello from flotilla\n")
            #expect(try String(contentsOfFile: "\(shared)/hello.txt", encoding: .utf8) == "hello from flotilla\n")

            // The kernel enforces the limits (cgroup v1 or v2).
            let memory = try docker.cli([
                "exec", "flotilla-\(id)", "sh", "-c",
                "cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes",
            ])
            #expect(memory.output.trimmingCharacters(in: .whitespacesAndNewlines) == "\(96 << 20)")
            let cpu = try docker.cli([
                "exec", "flotilla-\(id)", "sh", "-c",
                "cat /sys/fs/cgroup/cpu.max 2>/dev/null || echo $(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)",
            ])
            #expect(cpu.output.trimmingCharacters(in: .whitespacesAndNewlines) == "50000 100000")

            let usage = try await backend.usage(id: id)
            #expect(usage.memoryLimitBytes == 96 << 20)
            #expect(usage.cpuCores == 0.5)
            #expect(usage.memoryUsedBytes > 0)

            // A live resize reaches the daemon.
            #expect(try await backend.update(id: id, resources: Resources(cpuCores: 1, memoryBytes: 128 << 20)))
            let resized = try #require(try docker.inspect("flotilla-\(id)")?["HostConfig"] as? [String: Any])
            #expect(resized["Memory"] as? Int == 128 << 20)
            #expect(resized["NanoCpus"] as? Int == 1_000_000_000)
        }
    }

    @Test("a container killed behind Flotilla's back is reported with its exit code")
    func killedBehindTheBack() async throws {
        let docker = try await DockerFixture.shared.daemon()
        let backend = docker.backend()
        let id = newId()
        try await withContainers(docker, [id]) {
            try await backend.create(DockerFixtures.request(id: id))
            try await backend.start(id: id)
            #expect(try docker.cli(["kill", "flotilla-\(id)"]).status == 0)
            let observed = try await backend.inspect(id: id)
            #expect(observed.lifecycleState == .stopped || observed.state == .error, "\(observed)")
            #expect(observed.exitCode == 137)
            #expect(observed.description?.contains("137") == true, "\(observed)")
        }
    }

    @Test("a container that exits with a failure code is in error, with that code")
    func crashIsError() async throws {
        let docker = try await DockerFixture.shared.daemon()
        let backend = docker.backend()
        let id = newId()
        try await withContainers(docker, [id]) {
            let config = InstanceConfig(image: DockerFixture.image, command: ["sh", "-c", "exit 3"], networkMode: "none")
            try await backend.create(DockerFixtures.request(id: id, config: config))
            try await backend.start(id: id)
            let observed = try await eventuallyValue("the container exits", timeout: .seconds(30), every: .milliseconds(100)) {
                let observed = try await backend.inspect(id: id)
                return observed.state == .running ? nil : observed
            }
            #expect(observed.state == .error)
            #expect(observed.exitCode == 3)
            #expect(observed.description == "exited with code 3")
        }
    }

    @Test("a missing image gives a clear error naming it")
    func missingImage() async throws {
        let docker = try await DockerFixture.shared.daemon()
        let backend = docker.backend(pullTimeout: .seconds(5))
        let id = newId()
        try await withContainers(docker, [id]) {
            let config = InstanceConfig(image: "flotilla-test/not-there:7", command: ["true"], networkMode: "none")
            let error = await #expect(throws: BackendError.self) {
                try await backend.create(DockerFixtures.request(id: id, config: config))
            }
            guard case .failed(let message)? = error else {
                Issue.record("expected .failed, got \(String(describing: error))")
                return
            }
            #expect(message.hasPrefix("image flotilla-test/not-there:7 is not present on the docker daemon"), "\(message)")
            let created = try docker.inspect("flotilla-\(id)") != nil
            #expect(!created, "nothing was created")
        }
    }

    @Test("containers without the ownership label are never touched nor listed")
    func foreignContainersAreLeftAlone() async throws {
        let docker = try await DockerFixture.shared.daemon()
        let backend = docker.backend()
        let id = newId()
        try await withContainers(docker, [id]) {
            // Someone else's container that happens to have the name Flotilla would use.
            let run = try docker.cli(["run", "-d", "--network", "none", "--name", "flotilla-\(id)", DockerFixture.image, "sleep", "3600"])
            try #require(run.status == 0, "\(run.output)")
            await #expect(throws: BackendError.notFound(id)) { _ = try await backend.inspect(id: id) }
            await #expect(throws: BackendError.notFound(id)) { try await backend.delete(id: id, force: true) }
            await #expect(throws: BackendError.notFound(id)) { try await backend.stop(id: id, force: true, timeout: .zero) }
            #expect(!(try await backend.list().map(\.id).contains(id)))
            let state = try #require(try docker.inspect("flotilla-\(id)")?["State"] as? [String: Any])
            #expect(state["Running"] as? Bool == true, "still running")
        }
    }

    @Test("no daemon: every call is BACKEND_UNAVAILABLE; the backend recovers by itself when it comes back")
    func unavailableAndRecovery() async throws {
        let docker = try await DockerFixture.shared.daemon()
        let dir = "/tmp/flt-nodaemon-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let socket = "\(dir)/docker.sock"
        let backend = DockerBackend(configuration: .init(socketPath: socket, requestTimeout: .seconds(5)))
        let id = newId()

        let info = await backend.info()
        #expect(info.status == .unavailable)
        #expect(info.reason?.contains(socket) == true, "\(info.reason ?? "")")
        #expect(await backend.ping(timeout: .seconds(1)) == false)
        func expectUnavailable(_ name: String, _ call: () async throws -> Void) async {
            do {
                try await call()
                Issue.record("\(name): expected .unavailable, but it succeeded")
            } catch BackendError.unavailable {
            } catch {
                Issue.record("\(name): expected .unavailable, got \(error)")
            }
        }
        await expectUnavailable("inspect") { _ = try await backend.inspect(id: id) }
        await expectUnavailable("list") { _ = try await backend.list() }
        await expectUnavailable("create") { try await backend.create(DockerFixtures.request(id: id)) }
        await expectUnavailable("start") { try await backend.start(id: id) }

        // The daemon "comes back" at that path: the same backend object works again.
        try FileManager.default.createSymbolicLink(atPath: socket, withDestinationPath: docker.socketPath)
        #expect(await backend.info().status == .running)
        try await withContainers(docker, [id]) {
            try await backend.create(DockerFixtures.request(id: id))
            #expect(try await backend.inspect(id: id).state == .created)
        }
    }

    static func fetch(_ url: String) async throws -> String {
        var request = URLRequest(url: try #require(URL(string: url)))
        request.timeoutInterval = 2
        let (data, response) = try await URLSession.shared.data(for: request)
        guard (response as? HTTPURLResponse)?.statusCode == 200 else { throw DockerFixtureError("GET \(url) failed") }
        return String(decoding: data, as: UTF8.self)
    }
}
