import FlotillaCluster
import FlotillaCore
import FlotillaStore
import FlotillaTestSupport
import Foundation
import Logging
import Testing

/// A duty that records who leads.
struct RecordingDuty: LeaderDuty {
    let name = "recording"
    let terms: LockedBox<[Leadership]>
    func lead(_ leadership: Leadership) async throws {
        terms.withLock { $0.append(leadership) }
        try await Task.sleep(for: .seconds(3600))
    }
}

@Suite("Leader election and membership on the store")
struct LeaderElectionTests {
    @Test("one leader at a time; when it stops, another takes over; the old fence no longer writes")
    func failover() async throws {
        try await FixtureStack.with { stack in
            let store = try await stack.store(SQLiteStoreHarness())
            let registry = RegistryCache(store: store)
            try await registry.load()
            let terms = LockedBox<[Leadership]>([])
            // b says (at trace level) when it campaigned and lost: the test waits for that.
            let capture = LogCapture()
            func election(_ id: String) -> LeaderElection {
                LeaderElection(
                    store: store, registry: registry,
                    identity: HostIdentity(hostId: id, address: "http://\(id)"), timings: ClusterTimings(leaseTTL: .seconds(3)),
                    duties: [RecordingDuty(terms: terms)], logger: capture.logger(label: "flotilla.leader.\(id)", level: .trace))
            }
            let a = election("a")
            let b = election("b")
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await registry.run() }
                let runA = Task { try await a.run() }
                try await eventually("a is elected") { terms.value.count == 1 }
                let first = try #require(terms.value.first)
                #expect(first.hostId == "a")
                group.addTask { try await b.run() }
                // The second candidate campaigns and loses (had it wrongly won, it would have said so instead).
                try await eventually("b campaigns and loses") {
                    capture.all.contains { $0.label == "flotilla.leader.b" && $0.message == "campaign lost: the leader key is held" }
                }
                #expect(terms.value.count == 1)
                #expect(a.leadership != nil && b.leadership == nil)
                runA.cancel()
                _ = try? await runA.value
                try await eventually("b takes over") { terms.value.count == 2 }
                let second = terms.value[1]
                #expect(second.hostId == "b")
                #expect(second.createRevision > first.createRevision)
                // The deposed leader's fenced write fails; the new leader's succeeds.
                let stale = try await store.txn([first.fence], then: [.put("/test/fenced", Data("x".utf8))], otherwise: [])
                #expect(!stale.succeeded)
                let fresh = try await store.txn([second.fence], then: [.put("/test/fenced", Data("y".utf8))], otherwise: [])
                #expect(fresh.succeeded)
                group.cancelAll()
            }
        }
    }

    @Test("a worker whose heartbeat stops turns offline when its lease expires")
    func silentWorkerGoesOffline() async throws {
        try await FixtureStack.with { stack in
            let store = try await stack.store(SQLiteStoreHarness())
            let registry = RegistryCache(store: store)
            try await registry.load()
            let identity = HostIdentity(hostId: "w1", address: "http://w1")
            let worker = simWorker("w1")
            let membership = Membership(store: store, identity: identity, timings: ClusterTimings(leaseTTL: .seconds(2)), worker: worker)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await registry.run() }
                // Registered but never kept alive: silent.
                _ = try await membership.register()
                try await eventually("registered as active") { registry.read { $0.status(ofWorker: "w1") } == .active }
                try await eventually("offline after the TTL", timeout: .seconds(10)) {
                    registry.read { $0.status(ofWorker: "w1") } == .offline
                }
                #expect(registry.read { $0.workers["w1"] != nil }, "the registration itself is kept")
                group.cancelAll()
            }
        }
    }
}

/// A small sim worker registration, `http://<id>` unless another address is given.
func simWorker(_ id: String, address: String? = nil) -> Worker {
    Worker(
        id: id, hostname: id, address: address ?? "http://\(id)", capabilities: [.sim],
        capacity: WorkerCapacity(cpuCores: 4, memoryMB: 4096, diskGB: 10, maxInstances: 10), startedAt: Date())
}
