import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaStore
import FlotillaTestSupport
import Foundation
import Testing

/// Three whole hosts in this process, each with its own etcd client (each starting at another member of a
/// real 3-member cluster), drive writes concurrently; every host's registry, built only from list+watch
/// through the core reducer, must be equal to the others' whenever they stand at the same revision.
@Suite(
    "Cluster state on etcd: identical registries, a large backlog", .serialized,
    .enabled(if: EtcdCluster.testsEnabled, "etcd is not installed"))
struct RegistryConvergenceTests {
    /// Runs `body` with three hosts h1..h3 (zones z1..z3) on `etcd`.
    func withHosts(_ etcd: EtcdCluster, _ body: @escaping @Sendable ([TestHost]) async throws -> Void) async throws {
        let endpoints = etcd.endpoints.map { $0.replacingOccurrences(of: "http://", with: "") }
        @Sendable func host(_ i: Int, _ inner: @escaping @Sendable ([TestHost]) async throws -> Void, _ ready: [TestHost])
            async throws
        {
            let rotated = Array(endpoints[i...] + endpoints[..<i])
            try await TestHost.with(configure: {
                $0.store = "etcd://" + rotated.joined(separator: ",")
                $0.clusterSecret = "convergence"
                $0.hostId = "h\(i + 1)"
                $0.zone = "z\(i + 1)"
            }) { h in try await inner(ready + [h]) }
        }
        try await host(0, { a in try await host(1, { ab in try await host(2, body, ab) }, a) }, [])
    }

    @Test("concurrent creates, actions, deletes and a drain: every host holds the same state at the same revision")
    func sameStateAtSameRevision() async throws {
        let etcd = try await EtcdCluster.start()
        do {
            try await withHosts(etcd) { hosts in
                // Every host creates four instances at once and acts on them.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (n, h) in hosts.enumerated() {
                        group.addTask { try await Self.drive(h, prefix: "h\(n + 1)") }
                    }
                    try await group.waitForAll()
                }
                let workers = WorkerService(
                    store: hosts[1].host.store, registry: hosts[1].host.registry, identity: hosts[1].host.identity,
                    instances: hosts[1].host.instances)
                _ = try await workers.drain(id: "h2", migrate: true, deadline: .seconds(60))
                _ = try await workers.activate(id: "h2")

                let states = try await Self.statesAtOneRevision(hosts)
                for other in states.dropFirst() {
                    #expect(other == states[0], "a host's registry differs at revision \(states[0].revision)")
                }
                let live = states[0].liveInstances
                #expect(live.count == 9, "one of every host's four was deleted")
                #expect(live.allSatisfy { $0.workerId != nil && $0.workerId != "h2" }, "the drain moved h2's instances")
                #expect(Set(states[0].workers.keys) == ["h1", "h2", "h3"])
            }
        } catch {
            await etcd.tearDown()
            throw error
        }
        await etcd.tearDown()
    }

    @Test("a backlog larger than one etcd transaction allows (128 operations) is placed in full")
    func largeBacklog() async throws {
        let etcd = try await EtcdCluster.start()
        do {
            let store = try EtcdClusterStore(endpoints: etcd.endpoints)
            var ops: [TxnOp] = []
            var ids: [String] = []
            for i in 0..<300 {
                let instance = Instance(
                    id: UUID().uuidString.lowercased(), name: "backlog-\(i)", kind: .container, backend: .sim,
                    spec: InstanceSpec(
                        config: InstanceConfig(image: "busybox"), resources: Resources(cpuCores: 0.01, memoryBytes: 1 << 20)),
                    createdAt: Date())
                ids.append(instance.id)
                ops.append(.put(StoreKeys.instance(instance.id), try StoreCodec.encode(instance)))
                if ops.count == 100 {
                    _ = try await store.txn([], then: ops, otherwise: [])
                    ops.removeAll()
                }
            }
            try await store.close()
            let all = ids
            // The host's leader finds all 300 pending at once when it starts.
            let endpoints = etcd.endpoints.map { $0.replacingOccurrences(of: "http://", with: "") }
            try await TestHost.with(configure: {
                $0.store = "etcd://" + endpoints.joined(separator: ",")
                $0.clusterSecret = "backlog"
                $0.maxInstances = 1000
            }) { host in
                let placed = await host.host.registry.wait(timeout: .seconds(60)) { s in
                    all.allSatisfy { s.instances[$0]?.value.workerId != nil }
                }
                #expect(placed != nil, "every instance of the backlog is placed")
            }
        } catch {
            await etcd.tearDown()
            throw error
        }
        await etcd.tearDown()
    }

    /// Creates four sim instances through `host`, stops one, restarts one, deletes one, each settled.
    static func drive(_ host: TestHost, prefix: String) async throws {
        let service = host.host.instances
        var ids: [String] = []
        for i in 0..<4 {
            let written = try await service.create(
                CreateInstance(
                    name: "\(prefix)-\(i)", backend: .sim,
                    spec: InstanceSpec(config: InstanceConfig(image: "busybox"), resources: Resources(cpuCores: 0.25))))
            let (instance, settled) = await service.settle(written, timeout: .seconds(60))
            #expect(settled && instance.state == .running, "\(instance.name): \(instance.state)")
            ids.append(instance.id)
        }
        for (action, id) in [(LifecycleAction.stop, ids[0]), (.restart, ids[1]), (.delete, ids[2])] {
            let (after, settled) = await service.settle(try await service.perform(action, id: id), timeout: .seconds(60))
            #expect(settled, "\(action) of \(after.name) settled: \(after.state)")
        }
    }

    /// Polls until the three registries stand at the same revision (heartbeats keep writing, so this needs
    /// a quiet moment), then returns their states.
    static func statesAtOneRevision(_ hosts: [TestHost]) async throws -> [RegistryState] {
        try await eventuallyValue("the registries stand at the same revision", timeout: .seconds(60), every: .milliseconds(20)) {
            let states = hosts.map { $0.host.registry.snapshot }
            return Set(states.map(\.revision)).count == 1 ? states : nil
        }
    }
}
