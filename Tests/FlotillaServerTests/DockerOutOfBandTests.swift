import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaTestSupport
import Foundation
import Testing

/// Changes made to Flotilla's containers behind its back, with the docker CLI on a real daemon: each reaches
/// the registry as it is, every surface then says the same as the daemon, and the instance converges to its
/// desired state by its restart policy. (Bounds here are generous polling caps for a loaded 2-core machine; the
/// latency itself is measured by `flotilla-bench oob`.)
@Suite(.docker) struct DockerOutOfBandTests {
    static func body(_ name: String, command: String = DockerSurfaceTests.command, policy: String) -> String {
        #"{"name":"\#(name)","backend":"docker","config":{"image":"\#(DockerFixture.image)","command":\#(command),"networkMode":"none","restartPolicy":"\#(policy)"},"resources":{"cpu":{"cores":0.5},"memory":{"limit":67108864}}}"#
    }

    /// Records every state the registry holds for `id` from now on, in order.
    static func recorder(_ host: TestHost, _ id: String) -> (LockedBox<[InstanceState]>, Task<Void, Never>) {
        let seen = LockedBox<[InstanceState]>([])
        let updates = host.host.registry.updates()
        let task = Task {
            for await _ in updates {
                guard let state = host.host.registry.read({ $0.instances[id]?.value.state }) else { continue }
                seen.withLock { if $0.last != state { $0.append(state) } }
            }
        }
        return (seen, task)
    }

    /// Surface A's state, surface D's record and surface D's live status (from the daemon) of `id`.
    static func surfaces(_ api: HTTPProbe, _ id: String) async throws -> (a: String?, record: String?, live: String?) {
        let a = try await api.get("/api/v1/compute/instances/\(id)")["state"]
        let record = (try await api.get("/api/v2/vms/\(id)").json["observed"] as? [String: any Sendable])?["state"] as? String
        let live = try await api.get("/api/v2/vm/\(id)/status")["state"]
        return (a, record, live)
    }

    /// The command run behind Flotilla's back, and the states the registry may record for it. rm -f: the daemon
    /// may first report the container as "removing" (stopped), then gone (error).
    static let changes: [(command: [String], recorded: Set<InstanceState>)] = [
        (["pause"], [.paused]), (["kill"], [.stopped]), (["stop", "-t", "1"], [.stopped]), (["rm", "-f"], [.error, .stopped]),
    ]

    @Test("restart policy never: a docker kill is recorded and every surface agrees; a docker start is recorded, then undone")
    func killAndStartWithNever() async throws {
        let docker = try await DockerFixture.shared.daemon()
        try await withProbe(configure: DockerSurfaceTests.configure(docker)) { api, host in
            let created = try await api.post("/api/v1/compute/instances", Self.body("oob-never", policy: "no"))
            #expect(created.status == 201, "\(created.text)")
            let id = try #require(created["id"])
            defer { DockerSurfaceTests.cleanUp(docker, label: "io.flotilla.instance=\(id)") }
            #expect(try docker.cli(["kill", "flotilla-\(id)"]).status == 0)
            try await eventually("every surface says what the daemon says", timeout: .seconds(10)) {
                let daemon = try DockerSurfaceTests.daemonState(docker, id)
                let seen = try await Self.surfaces(api, id)
                return daemon?.status == "exited" && seen.a == "stopped" && seen.record == "stopped" && seen.live == "stopped"
            }
            let record = try #require(host.host.registry.read { $0.instances[id]?.value })
            #expect(record.desired == .stopped, "restart policy never: not wanted running any more")
            #expect(record.stateDescription == "exited with code 137; not restarted: restart policy never")

            let (seen, task) = Self.recorder(host, id)
            defer { task.cancel() }
            #expect(try docker.cli(["start", "flotilla-\(id)"]).status == 0)
            try await eventually("the out-of-band start recorded as running", timeout: .seconds(10)) {
                seen.value.contains(.running)
            }
            try await eventually("then stopped again: its desired state is stopped", timeout: .seconds(30)) {
                try DockerSurfaceTests.daemonState(docker, id)?.status == "exited"
                    && host.host.registry.read({ $0.instances[id]?.value.state }) == .stopped
            }
        }
    }

    @Test(
        "restart policy always: pause, kill, stop and rm -f behind Flotilla's back are each recorded as they are, then undone",
        arguments: changes)
    func eachChangeThenTheDesiredState(_ command: [String], _ recorded: Set<InstanceState>) async throws {
        let docker = try await DockerFixture.shared.daemon()
        try await withProbe(configure: DockerSurfaceTests.configure(docker)) { api, host in
            let created = try await api.post(
                "/api/v1/compute/instances", Self.body("oob-\(command[0])", policy: "always"))
            #expect(created.status == 201, "\(created.text)")
            let id = try #require(created["id"])
            defer { DockerSurfaceTests.cleanUp(docker, label: "io.flotilla.instance=\(id)") }
            let before = try #require(try DockerSurfaceTests.daemonState(docker, id))
            let (seen, task) = Self.recorder(host, id)
            defer { task.cancel() }
            #expect(try docker.cli(command + ["flotilla-\(id)"]).status == 0)
            try await eventually("recorded as \(recorded)", timeout: .seconds(10)) { !recorded.isDisjoint(with: seen.value) }
            try await eventually("running again, in the registry and in the daemon", timeout: .seconds(30)) {
                let daemon = try DockerSurfaceTests.daemonState(docker, id)
                let a = try await api.get("/api/v1/compute/instances/\(id)")
                return daemon?.status == "running" && daemon?.paused == false && a["state"] == "running"
            }
            let instance = try #require(host.host.registry.read { $0.instances[id]?.value })
            if recorded == [.paused] {
                #expect(instance.restarts == nil, "a pause is not an exit: resumed, no restart counted")
            } else {
                #expect(instance.restarts?.attempts == 1, "\(String(describing: instance.restarts))")
                #expect(instance.stateDescription?.contains("restarted by its restart policy (always, attempt 1)") == true)
            }
            if command[0] == "rm" {
                #expect(try DockerSurfaceTests.daemonState(docker, id)?.containerId != before.containerId, "re-created")
            }
        }
    }

    @Test("a crash loop under on-failure:2 backs off, counts its attempts and gives up")
    func crashLoop() async throws {
        let docker = try await DockerFixture.shared.daemon()
        try await withProbe(configure: DockerSurfaceTests.configure(docker)) { api, host in
            let created = try await api.post(
                "/api/v1/compute/instances?wait=false",
                Self.body("oob-loop", command: #"["sh","-c","sleep 1; exit 3"]"#, policy: "on-failure:2"))
            #expect(created.status == 202, "\(created.text)")
            let id = try #require(created["id"])
            defer { DockerSurfaceTests.cleanUp(docker, label: "io.flotilla.instance=\(id)") }
            var attemptsSeen: Set<Int> = []
            try await eventually("the policy gave up", timeout: .seconds(60), every: .milliseconds(100)) {
                let r = try await api.get("/api/v1/compute/instances/\(id)")
                if let attempts = (r.json["restarts"] as? [String: any Sendable])?["attempts"] as? Int { attemptsSeen.insert(attempts) }
                return ((r.json["restarts"] as? [String: any Sendable])?["gaveUp"] as? Bool) == true
            }
            let final = try #require(host.host.registry.read { $0.instances[id]?.value })
            #expect(final.state == .error && final.desired == .stopped)
            #expect(final.restarts?.attempts == 2)
            #expect(attemptsSeen.isSuperset(of: [1, 2]), "each attempt was visible: \(attemptsSeen)")
            #expect(
                final.stateDescription == "exited with code 3; not restarted: gave up after 2 restarts (restart policy on-failure:2)",
                "\(final.stateDescription ?? "")")
        }
    }
}
