import FlotillaBackends
import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaTestSupport
import Foundation
import Testing

@Suite("Agent against the sim backend")
struct AgentTests {
    func create(_ host: TestHost, _ name: String, policy: RestartPolicy? = nil) async throws -> Instance {
        let written = try await host.host.instances.create(
            CreateInstance(
                name: name, backend: .sim, spec: InstanceSpec(config: InstanceConfig(image: "busybox"), restartPolicy: policy)))
        let (instance, settled) = await host.host.instances.settle(written, timeout: .seconds(20))
        #expect(settled)
        return instance
    }

    var sim: (TestHost) throws -> SimBackend {
        { host in try #require(host.host.backends[.sim] as? SimBackend) }
    }

    @Test("an instance that dies behind Flotilla's back is reported as error with its exit code (restart policy never)")
    func crashIsNoticed() async throws {
        try await TestHost.with { host in
            let instance = try await create(host, "crashy", policy: .never)
            #expect(instance.state == .running)
            try await sim(host).crash(id: instance.id, exitCode: 137)
            try await eventually("crash reported", timeout: .seconds(5)) {
                host.host.registry.read { $0.instances[instance.id]?.value.state } == .error
            }
            let reported = try #require(host.host.registry.read { $0.instances[instance.id]?.value })
            #expect(reported.stateDescription?.contains("137") == true, "\(reported.stateDescription ?? "")")
            // Start recovers it.
            let restarted = try await host.host.instances.perform(.start, id: instance.id)
            let (after, _) = await host.host.instances.settle(restarted, timeout: .seconds(20))
            #expect(after.state == .running)
        }
    }

    @Test("a backend failure during an action leaves the instance in error with the reason")
    func failureIsReported() async throws {
        try await TestHost.with { host in
            let instance = try await create(host, "fragile")
            try await sim(host).failNext(.stop, with: .failed("disk on fire"))
            let written = try await host.host.instances.perform(.stop, id: instance.id)
            let (after, settled) = await host.host.instances.settle(written, timeout: .seconds(20))
            #expect(settled)
            #expect(after.state == .error)
            #expect(after.stateDescription == "disk on fire")
        }
    }

    @Test("instances are placed on this host by the leader and created once in the backend")
    func placedOnce() async throws {
        try await TestHost.with { host in
            let a = try await create(host, "one")
            let b = try await create(host, "two")
            #expect(a.workerId == "test-host")
            #expect(b.workerId == "test-host")
            let listed = try await sim(host).list().map(\.id)
            #expect(Set(listed) == [a.id, b.id])
        }
    }
}
