import FlotillaBackends
import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaTestSupport
import Foundation
import Logging
import Testing

/// The leader's health duty on a whole host: a second worker that is registered but never heartbeats is
/// offline, and after the grace the instances it held are dealt with.
@Suite("Leader health duty: instances of an offline worker")
struct HealthDutyTests {
    static let gone = "gone-host"

    /// Writes `instance` as if the leader had placed it on the offline worker long ago.
    func put(_ instance: Instance, _ host: TestHost, name reserved: Bool = true) async throws {
        var ops: [TxnOp] = [.put(StoreKeys.instance(instance.id), try StoreCodec.encode(instance))]
        if reserved { ops.append(.put(StoreKeys.name(instance.name), Data(instance.id.utf8))) }
        _ = try await host.host.store.txn([], then: ops, otherwise: [])
    }

    func instance(_ name: String, state: InstanceState, desired: DesiredState, updated: Date = Date()) -> Instance {
        var i = Instance(
            id: UUID().uuidString.lowercased(), name: name, kind: .container, backend: .sim,
            spec: InstanceSpec(config: InstanceConfig(image: "busybox")), createdAt: updated)
        i.workerId = Self.gone
        i.state = state
        i.desired = desired
        i.updatedAt = updated
        return i
    }

    @Test("running ones are rescheduled on a live worker, deleting ones finish, old tombstones go")
    func offlineWorkerInstances() async throws {
        try await TestHost.with(configure: {
            $0.rescheduleAfter = .milliseconds(300)
            $0.tombstoneRetention = 600
        }) { host in
            let worker = simWorker(Self.gone, address: "http://127.0.0.1:1")
            _ = try await host.host.store.txn([], then: [.put(StoreKeys.worker(Self.gone), try StoreCodec.encode(worker))], otherwise: [])
            let running = instance("was-running", state: .running, desired: .running)
            let paused = instance("was-paused", state: .paused, desired: .paused)
            let deleting = instance("was-deleting", state: .deleting, desired: .deleted)
            var oldTombstone = instance("long-gone", state: .deleted, desired: .deleted, updated: Date(timeIntervalSinceNow: -3600))
            oldTombstone.workerId = "test-host"
            for i in [running, paused, deleting] { try await put(i, host) }
            try await put(oldTombstone, host, name: false)
            let tombstone = oldTombstone.id

            let registry = host.host.registry
            try await eventually("rescheduled, finished and forgotten", timeout: .seconds(30)) {
                registry.read { s in
                    [running.id, paused.id].allSatisfy { id in
                        s.instances[id]?.value.workerId == "test-host" && s.instances[id]?.value.state == .running
                    } && s.instances[deleting.id]?.value.state == .deleted && s.instances[tombstone] == nil
                }
            }
            let state = registry.snapshot
            #expect(state.status(ofWorker: Self.gone) == .offline)
            for id in [running.id, paused.id] {
                let moved = try #require(state.instances[id]?.value)
                #expect(moved.migratedFrom == Self.gone, "the old worker is told to clean up its copy")
                #expect(moved.desired == .running)
            }
            let sim = try #require(host.host.backends[.sim])
            let local = Set(try await sim.list().map(\.id))
            #expect(local.isSuperset(of: [running.id, paused.id]), "the new copies run on the live worker")
            let finished = try #require(state.instances[deleting.id]?.value)
            #expect(finished.migratedFrom == Self.gone)
            #expect(state.names["was-deleting"] == nil, "the deleted instance's name is free again")
            #expect(state.names["was-running"] == running.id)
        }
    }

    @Test("a worker that is offline for less than the grace keeps its instances")
    func withinGrace() async throws {
        let capture = LogCapture()
        let rounds: @Sendable () -> Int = { capture.all.filter { $0.message == "health round done" }.count }
        try await TestHost.with(logger: capture.logger(level: .trace), configure: { $0.rescheduleAfter = .seconds(3600) }) { host in
            let kept = instance("patient", state: .running, desired: .running)
            try await put(kept, host)
            // The leader's duty sees the worker offline, then ends three more rounds, each of which would act wrongly.
            try await eventually("the duty sees the worker offline", timeout: .seconds(20)) {
                capture.all.contains { $0.message == "worker offline" && $0.details.contains(Self.gone) }
            }
            let seen = rounds()
            try await eventually("three more rounds of the duty", timeout: .seconds(20)) { rounds() >= seen + 3 }
            let now = try #require(host.host.registry.read { $0.instances[kept.id]?.value })
            #expect(now.workerId == Self.gone)
            #expect(now.state == .running)
            #expect(now.migratedFrom == nil)
        }
    }
}

@Suite("Leader health duty: idempotency keys")
struct IdempotencySweepTests {
    @Test("keys older than a day are forgotten by the leader; younger ones still replay")
    func oldKeysForgotten() async throws {
        try await FixtureStack.with { stack in
            let store = try await stack.store(SQLiteStoreHarness())
            let worker = simWorker("w1")
            _ = try await store.txn(
                [],
                then: [
                    .put(StoreKeys.worker("w1"), try StoreCodec.encode(worker)),
                    .put(StoreKeys.alive("w1"), try StoreCodec.encode(Heartbeat(workerId: "w1", at: Date()))),
                ], otherwise: [])
            let registry = RegistryCache(store: store)
            try await registry.load()
            func service(daysAgo: Double) -> InstanceService {
                InstanceService(
                    store: store, registry: registry, identity: HostIdentity(hostId: "w1", address: "http://w1"),
                    clock: ManualWallClock(Date(timeIntervalSinceNow: -daysAgo * 86400)).clock, backends: BackendSet([SimBackend()]))
            }
            func create(_ name: String, key: String, daysAgo: Double) async throws {
                _ = try await service(daysAgo: daysAgo).create(
                    CreateInstance(name: name, backend: .sim, spec: InstanceSpec(config: InstanceConfig(image: "busybox"))),
                    idempotency: IdempotencyToken(keyDigest: key, requestDigest: "body-\(name)"))
            }
            try await create("old", key: "old-key", daysAgo: 2)
            try await create("young", key: "young-key", daysAgo: 0.5)
            #expect(try await store.range(prefix: StoreKeys.idempotency).kvs.count == 2)

            let identity = HostIdentity(hostId: "w1", address: "http://w1")
            let election = LeaderElection(
                store: store, registry: registry, identity: identity,
                duties: [HealthDuty(store: store, registry: registry, identity: identity, sweepInterval: .seconds(3600))])
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await registry.run() }
                group.addTask { try await election.run() }
                try await eventually("the old key is forgotten") {
                    try await store.range(prefix: StoreKeys.idempotency).kvs.map(\.key) == [StoreKeys.idempotency("young-key")]
                }
                group.cancelAll()
            }
            // The young key still replays the first result instead of creating twice.
            let again = try await service(daysAgo: 0).create(
                CreateInstance(name: "young", backend: .sim, spec: InstanceSpec(config: InstanceConfig(image: "busybox"))),
                idempotency: IdempotencyToken(keyDigest: "young-key", requestDigest: "body-young"))
            #expect(again.instance.name == "young")
            #expect(registry.read { $0.liveInstances.count } == 2)
        }
    }
}
