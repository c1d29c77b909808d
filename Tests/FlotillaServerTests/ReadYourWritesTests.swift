import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaServer
import FlotillaTestSupport
import Testing

/// Read-your-writes in one step (docs/architecture.md): each write of the services is in this host's registry
/// when the call returns, so the next read of whoever wrote sees it, with no wait by the caller.
@Suite struct ReadYourWritesTests {
    @Test("create, an action and a rename each show in the registry the moment they return")
    func instanceWritesAreVisibleOnReturn() async throws {
        try await TestHost.with { host in
            let instances = host.host.instances
            let registry = host.host.registry
            let created = try await instances.create(
                CreateInstance(name: "seen", backend: .sim, spec: InstanceSpec(config: InstanceConfig(image: "busybox"))))
            #expect(registry.revision >= created.revision)
            #expect(registry.read { $0.instances[created.instance.id]?.value.name } == "seen")
            let (running, settled) = await instances.settle(created, timeout: .seconds(20))
            #expect(settled && running.state == .running)

            let stopping = try await instances.perform(.stop, id: running.id)
            #expect(registry.revision >= stopping.revision)
            #expect(registry.read { $0.instances[running.id]?.value.desired } == .stopped)

            let renamed = try await instances.edit(id: running.id, name: "seen-again", metadata: ["k": "v"])
            #expect(registry.revision >= renamed.revision)
            #expect(registry.read { $0.liveInstance(named: "seen-again")?.id } == running.id)
            #expect(registry.read { $0.instances[running.id]?.value.spec.metadata["k"] } == "v")
        }
    }

    @Test("a new API key and its revocation are in the registry the moment they return")
    func keyWritesAreVisibleOnReturn() async throws {
        try await TestHost.with { host in
            let keys = host.host.keys
            let registry = host.host.registry
            let (record, _) = try await keys.create(name: "ryw-key", role: .reader)
            #expect(registry.read { $0.apiKeys.values.contains { $0.id == record.id } })
            _ = try await keys.revoke(record.id)
            #expect(!registry.read { $0.apiKeys.values.contains { $0.id == record.id } })
        }
    }
}
