import FlotillaBackends
import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaTestSupport
import Foundation
import Logging
import Testing

/// The agent carrying out the reconciler's decisions on the sim backend: changes behind Flotilla's back reach
/// the registry, restart policies act with back-off, and a backend outage is waited out, logged calmly and
/// recovered from without any call. (The same on a real dockerd and QEMU: the backend and host suites.)
@Suite("Agent: restart policies and backend outages (sim)")
struct AgentRestartPolicyTests {
    func create(_ host: TestHost, _ name: String, policy: RestartPolicy?) async throws -> Instance {
        let written = try await host.host.instances.create(
            CreateInstance(
                name: name, backend: .sim, spec: InstanceSpec(config: InstanceConfig(image: "busybox"), restartPolicy: policy)))
        let (instance, settled) = await host.host.instances.settle(written, timeout: .seconds(20))
        #expect(settled && instance.state == .running)
        return instance
    }

    func sim(_ host: TestHost) throws -> SimBackend { try #require(host.host.backends[.sim] as? SimBackend) }

    func record(_ host: TestHost, _ id: String) -> Instance? { host.host.registry.read { $0.instances[id]?.value } }

    @Test("a crash is recorded with the planned restart, then the policy restarts it and counts the attempt")
    func alwaysRestarts() async throws {
        try await TestHost.with { host in
            let instance = try await create(host, "phoenix", policy: .always)
            let states = host.host.registry.updates()
            try await sim(host).crash(id: instance.id, exitCode: 137)
            // The exit is recorded first, as it is, with the restart the policy planned.
            var recorded: Instance?
            for await _ in states {
                guard let i = record(host, instance.id), i.state == .error else { continue }
                recorded = i
                break
            }
            let exited = try #require(recorded)
            #expect(exited.restarts?.attempts == 1)
            #expect(exited.restarts?.nextAttemptAt != nil)
            #expect(
                exited.stateDescription?.hasPrefix("exited with code 137; restarting in 1 s (attempt 1") == true,
                "\(exited.stateDescription ?? "")")
            try await eventually("restarted by the policy", timeout: .seconds(15)) {
                record(host, instance.id)?.state == .running
            }
            let running = try #require(record(host, instance.id))
            #expect(running.restarts?.attempts == 1 && running.restarts?.nextAttemptAt == nil)
            #expect(running.stateDescription?.contains("restarted by its restart policy") == true)
            #expect(try await sim(host).inspect(id: instance.id).state == .running)
        }
    }

    @Test("on-failure backs off between failed restarts and gives up after its maximum")
    func onFailureGivesUp() async throws {
        try await TestHost.with { host in
            let instance = try await create(host, "flaky", policy: .onFailure(maxAttempts: 2))
            let backend = try sim(host)
            await backend.failNext(.start, with: .failed("image is corrupt"))
            await backend.failNext(.start, with: .failed("image is corrupt"))
            try await backend.crash(id: instance.id, exitCode: 1)
            try await eventually("the policy gave up", timeout: .seconds(30)) {
                record(host, instance.id)?.restarts?.gaveUp == true
            }
            let final = try #require(record(host, instance.id))
            #expect(final.state == .error)
            #expect(final.desired == .stopped, "no longer wanted running: nothing pretends it will be")
            #expect(final.restarts?.attempts == 2)
            #expect(final.stateDescription?.contains("gave up after 2 restarts (restart policy on-failure:2)") == true)
            // A user's start begins again from zero.
            let started = try await host.host.instances.perform(.start, id: instance.id)
            let (after, _) = await host.host.instances.settle(started, timeout: .seconds(20))
            #expect(after.state == .running && after.restarts == nil)
        }
    }

    @Test("a backend outage: instances are shown as unknown, nothing is placed there, all recover with no call, few log lines")
    func outage() async throws {
        let capture = LogCapture()
        try await TestHost.with(logger: capture.logger(level: .info)) { host in
            var ids: [String] = []
            for n in 0..<20 { ids.append(try await create(host, "svc-\(n)", policy: .always).id) }
            let backend = try sim(host)
            capture.reset()
            await backend.setUnavailable("simulated daemon outage")
            try await eventually("every instance shown as unknown", timeout: .seconds(10)) {
                ids.allSatisfy { record(host, $0)?.state == .error }
            }
            #expect(record(host, ids[0])?.stateDescription?.contains("sim backend is unavailable") == true)
            // The heartbeat says so: no placement on it, and a create asks for a backend no host has up.
            try await eventually("the heartbeat reports sim down", timeout: .seconds(10)) {
                host.host.registry.read { $0.unavailableBackends(ofWorker: "test-host")[.sim] } != nil
            }
            await #expect(throws: FlotillaError.self) {
                try await host.host.instances.create(
                    CreateInstance(name: "late", backend: .sim, spec: InstanceSpec(config: InstanceConfig(image: "busybox"))))
            }
            // Ten seconds of outage (the window the calm log summarises over).
            try await Task.sleep(for: .seconds(10))
            await backend.setUnavailable(nil)
            try await eventually("every instance running again, with no call made", timeout: .seconds(20)) {
                ids.allSatisfy { record(host, $0)?.state == .running }
            }
            let lines = capture.all.filter { $0.level >= .info }
            print("log lines during a 10 s sim outage with 20 instances: \(lines.count)")
            #expect(lines.count <= 30, "\(lines.count) lines: \(lines.map(\.message))")
            #expect(lines.contains { $0.message == "backend unavailable" })
            #expect(lines.contains { $0.message == "backend available again" })
        }
    }
}
