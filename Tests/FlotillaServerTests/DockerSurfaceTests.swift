import FlotillaCore
import FlotillaHost
import FlotillaTestSupport
import Foundation
import Testing

/// Surface A on a real docker daemon, each step checked against the daemon itself.
@Suite(.docker) struct DockerSurfaceTests {
    static let command = #"["sh","-c","trap 'exit 0' TERM; sleep 3600 & wait"]"#

    static func configure(_ docker: DockerDaemon) -> @Sendable (inout HostConfiguration) -> Void {
        { config in
            config.backends = [.sim, .docker]
            config.dockerSocket = docker.socketPath
        }
    }

    static func createBody(_ name: String, restartPolicy: String = "always") -> String {
        #"{"name":"\#(name)","backend":"docker","config":{"image":"\#(DockerFixture.image)","command":\#(command),"networkMode":"none","env":["ROLE=test"],"restartPolicy":"\#(restartPolicy)"},"resources":{"cpu":{"cores":0.5},"memory":{"limit":67108864}},"metadata":{"labels":{"suite":"surface"}}}"#
    }

    /// The docker view of instance `id`'s container: (Status, Running, Paused, ExitCode, container id).
    static func daemonState(_ docker: DockerDaemon, _ id: String) throws -> (
        status: String, paused: Bool, exitCode: Int, containerId: String
    )? {
        guard let c = try docker.inspect("flotilla-\(id)"), let s = c["State"] as? [String: Any] else { return nil }
        return (s["Status"] as? String ?? "", s["Paused"] as? Bool ?? false, s["ExitCode"] as? Int ?? -1, c["Id"] as? String ?? "")
    }

    static func cleanUp(_ docker: DockerDaemon, label: String) {
        for container in (try? docker.containers(label: label)) ?? [] { _ = try? docker.cli(["rm", "-f", container]) }
    }

    @Test("create, stop, start, pause, unpause, restart, delete: each step visible in the daemon")
    func lifecycle() async throws {
        let docker = try await DockerFixture.shared.daemon()
        try await withProbe(configure: Self.configure(docker)) { api, _ in
            let created = try await api.post("/api/v1/compute/instances", Self.createBody("dock-life"))
            #expect(created.status == 201, "\(created.text)")
            let id = try #require(created["id"])
            defer { Self.cleanUp(docker, label: "io.flotilla.instance=\(id)") }
            #expect(created["state"] == "running", "\(created.text)")
            #expect(created["type"] == "container")
            let first = try #require(try Self.daemonState(docker, id))
            #expect(first.status == "running")
            let env = try docker.inspect("flotilla-\(id)")?["Config"] as? [String: Any]
            let envList = (env?["Env"] as? [String]) ?? []
            #expect(envList.contains("ROLE=test"))
            #expect((env?["Labels"] as? [String: String])?["suite"] == "surface")

            let steps: [(String, String, (String, Bool))] = [
                ("stop", "stopped", ("exited", false)), ("start", "running", ("running", false)),
                ("pause", "paused", ("paused", true)), ("unpause", "running", ("running", false)),
                ("restart", "running", ("running", false)),
            ]
            for (verb, state, daemon) in steps {
                let r = try await api.put("/api/v1/compute/instances/\(id)/\(verb)")
                #expect(r.status == 200, "\(verb): \(r.text)")
                #expect(r["state"] == state, "\(verb): \(r.text)")
                let seen = try #require(try Self.daemonState(docker, id), "after \(verb)")
                #expect(seen.status == daemon.0, "daemon after \(verb)")
                #expect(seen.paused == daemon.1, "daemon paused after \(verb)")
                #expect(seen.containerId == first.containerId, "the same container after \(verb)")
                #expect(try await api.get("/api/v1/compute/instances/\(id)")["state"] == state)
            }

            let usage = try await api.get("/api/v1/compute/instances/\(id)/usage")
            #expect(usage.status == 200, "\(usage.text)")
            #expect((usage.json["memory"] as? [String: Any])?["limit"] as? Int == 67_108_864)
            let blockIO = usage.json["blockIO"] as? [String: Any]
            #expect(blockIO?["readBytes"] is Int && blockIO?["writeBytes"] is Int, "block I/O from the stats read: \(usage.text)")

            let deleted = try await api.delete("/api/v1/compute/instances/\(id)?force=true")
            #expect(deleted.status == 200, "\(deleted.text)")
            let gone = try Self.daemonState(docker, id) == nil
            #expect(gone, "the container is gone from the daemon")
            #expect(try await api.get("/api/v1/compute/instances/\(id)").status == 404)
        }
    }

    @Test("backend info comes from the daemon")
    func info() async throws {
        let docker = try await DockerFixture.shared.daemon()
        let version = try docker.cli(["version", "--format", "{{.Server.Version}} {{.Server.APIVersion}}"])
        let parts = version.output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ").map(String.init)
        try await withProbe(configure: Self.configure(docker)) { api, _ in
            let info = try await api.get("/api/v1/compute/backends/docker/info")
            #expect(info.status == 200, "\(info.text)")
            #expect(info["type"] == "docker")
            #expect(info["status"] == "running")
            #expect(info["version"] == parts.first)
            #expect(info["apiVersion"] == parts.last)
            #expect(info.json["supportedTypes"] as? [String] == ["container"])
        }
    }

    @Test("an instance whose docker daemon is gone answers BACKEND_UNAVAILABLE on info")
    func unavailableInfo() async throws {
        try await withProbe(configure: { c in
            c.backends = [.sim, .docker]
            c.dockerSocket = "/tmp/flotilla-no-such-daemon.sock"
        }) { api, _ in
            let info = try await api.get("/api/v1/compute/backends/docker/info")
            #expect(info["status"] == "unavailable", "\(info.text)")
        }
    }

    @Test("a container killed behind Flotilla's back is reported by the agent's first looks after the kill, with its exit code")
    func killedBehindTheBack() async throws {
        let docker = try await DockerFixture.shared.daemon()
        try await withProbe(configure: Self.configure(docker)) { api, _ in
            // Restart policy never: the kill stays as it is, to be read (DockerOutOfBandTests covers the policies).
            let created = try await api.post("/api/v1/compute/instances", Self.createBody("dock-kill", restartPolicy: "no"))
            let id = try #require(created["id"], "\(created.text)")
            defer { Self.cleanUp(docker, label: "io.flotilla.instance=\(id)") }
            #expect(created["state"] == "running")
            #expect(try docker.cli(["kill", "flotilla-\(id)"]).status == 0)
            // Promptness in the agent's looks at the container, not in seconds, which a loaded machine stretches: the
            // kill's events (kill, then die; or else the next resync) make the agent look, and the first look after the
            // container died reports it. A resync's look may have been under way when the kill landed, and one more
            // may come while the test reads the count: four at most. An agent that looked past the kill without
            // reporting it would go on looking, once a second.
            let looksBefore = try await Scrape(api).inspections("docker")
            let reply = try await eventuallyValue("the kill is reported", timeout: .seconds(60), every: .milliseconds(100)) {
                let reply = try await api.get("/api/v1/compute/instances/\(id)")
                return reply["state"] == "running" ? nil : reply
            }
            let looks = try await Scrape(api).inspections("docker") - looksBefore
            #expect(["stopped", "error"].contains(reply["state"] ?? ""), "\(reply.text)")
            #expect(reply["stateDescription"]?.contains("137") == true, "\(reply.text)")
            #expect(looks <= 4, "reported after the agent looked at the container \(looks) times")
        }
    }

    @Test("a restarted host adopts its running containers: same ids, no duplicates; foreign ones untouched")
    func adoptionAfterRestart() async throws {
        let docker = try await DockerFixture.shared.daemon()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-adopt-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let foreign = "not-flotilla-\(UUID().uuidString.prefix(8).lowercased())"
        let run = try docker.cli(["run", "-d", "--network", "none", "--name", foreign, DockerFixture.image, "sleep", "3600"])
        try #require(run.status == 0, "\(run.output)")
        defer { _ = try? docker.cli(["rm", "-f", foreign]) }

        let ids: [String] = try await withProbe(dataDir: dir, keepData: true, configure: Self.configure(docker)) { api, _ in
            var ids: [String] = []
            for name in ["adopt-a", "adopt-b"] {
                let r = try await api.post("/api/v1/compute/instances", Self.createBody(name))
                #expect(r.status == 201, "\(r.text)")
                ids.append(try #require(r["id"]))
            }
            let stopped = try await api.put("/api/v1/compute/instances/\(ids[1])/stop")
            #expect(stopped["state"] == "stopped")
            return ids
        }
        defer { for id in ids { Self.cleanUp(docker, label: "io.flotilla.instance=\(id)") } }
        let before = try ids.map { try #require(try Self.daemonState(docker, $0)).containerId }

        try await withProbe(dataDir: dir, keepData: true, configure: Self.configure(docker)) { api, _ in
            // Before anything is asserted, the agent has had rounds to do anything it would wrongly do: it looked three
            // times at each of the two containers (once per instance and reconcile round).
            try await eventually("the agent looks at each container three times", timeout: .seconds(60)) {
                try await Scrape(api).inspections("docker") >= 6
            }
            for (index, id) in ids.enumerated() {
                let r = try await api.get("/api/v1/compute/instances/\(id)")
                #expect(r["state"] == (index == 0 ? "running" : "stopped"), "\(r.text)")
                #expect(try docker.containers(label: "io.flotilla.instance=\(id)") == [before[index]], "one container, the same")
            }
            #expect(try Self.daemonState(docker, ids[0])?.status == "running")
            // Still controllable after adoption.
            let started = try await api.put("/api/v1/compute/instances/\(ids[1])/start")
            #expect(started["state"] == "running", "\(started.text)")
            #expect(try docker.containers(label: "io.flotilla.instance=\(ids[1])") == [before[1]])
            let list = try await api.get("/api/v1/compute/instances?backend=docker")
            #expect(list.json["total"] as? Int == 2, "\(list.text)")
        }
        let state = try #require(try docker.inspect(foreign)?["State"] as? [String: Any])
        #expect(state["Running"] as? Bool == true, "the foreign container still runs")
    }
}
