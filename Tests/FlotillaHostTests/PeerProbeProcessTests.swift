import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaStore
import FlotillaTestSupport
import Foundation
import Testing

/// Peer probes end to end (docs/decisions/0035-peer-probes.md): real UDP sockets, a real store (SQLite), each worker's
/// real ``Membership`` with a 30 s lease, so that only the probes can find a dead one within seconds.
@Suite("Peer probes")
struct PeerProbeProcessTests {
    /// Faster than the defaults, in the same proportions, so that the test takes seconds.
    static let plan = PeerProbePlan(
        period: .milliseconds(200), tick: .milliseconds(50), suspectAfter: .milliseconds(700), helperWait: .milliseconds(200))

    struct Fleet {
        let store: any ClusterStore
        let registry: RegistryCache
        /// Each worker's probes, running: cancelling one closes its socket.
        let probes: [String: Task<Void, any Error>]
    }

    /// Registers `ids` (a 30 s lease each), each with its probes' socket, and runs `body` while their probes run. Only
    /// the `renewing` ones run their ``Membership`` too (renewals, heartbeats written again): a worker that does not
    /// stands for a machine that died without revoking its lease.
    func withFleet(_ ids: [String], renewing: Set<String>, _ body: (Fleet) async throws -> Void) async throws {
        try await FixtureStack.with { stack in
            let store = try await stack.store(SQLiteStoreHarness())
            let registry = RegistryCache(store: store)
            try await registry.load()
            let ring = ProbeRingSource(registry: registry, refresh: .milliseconds(100))
            var tasks: [Task<Void, any Error>] = [Task { try await registry.run() }]
            var probes: [String: Task<Void, any Error>] = [:]
            for id in ids {
                let transport = try await UDPProbeTransport.bind(host: "127.0.0.1", port: 0, advertisedHost: "127.0.0.1")
                let probe = PeerProbe(
                    workerId: id, store: store, registry: registry, ring: ring, transport: transport,
                    key: ProbeKey(clusterSecret: "test secret"), plan: Self.plan)
                let membership = Membership(
                    store: store, identity: HostIdentity(hostId: id, address: "http://\(id)"),
                    timings: ClusterTimings(leaseTTL: .seconds(30)),
                    worker: Worker(
                        id: id, hostname: id, address: "http://\(id)", capabilities: [.sim],
                        capacity: WorkerCapacity(cpuCores: 4, memoryMB: 4096, diskGB: 10, maxInstances: 10), startedAt: Date()),
                    nodeKey: id, registry: registry,
                    probeAddress: probe.address)
                _ = try await membership.register()
                probes[id] = Task { try await probe.run() }
                if renewing.contains(id) { tasks.append(Task { try await membership.run() }) }
            }
            tasks += probes.values
            defer { for task in tasks { task.cancel() } }
            try await eventually("every heartbeat in the registry, with its probe address") {
                registry.read { state in ids.allSatisfy { state.heartbeats[$0]?.value.probeAddress != nil } }
            }
            try await body(Fleet(store: store, registry: registry, probes: probes))
            for task in tasks {
                task.cancel()
                _ = await task.result
            }
        }
    }

    /// Each worker's heartbeat's create revision: a heartbeat deleted and written again has a new one.
    func created(_ fleet: Fleet, _ ids: [String]) -> [String: Revision] {
        fleet.registry.read { state in ids.reduce(into: [:]) { $0[$1] = state.heartbeats[$1]?.createRevision } }
    }

    @Test("workers that answer are left alone; a dead one is offline in seconds though its lease has 30 s to run")
    func deadWorkerFound() async throws {
        let ids = ["w1", "w2", "w3", "w4", "w5"]
        try await withFleet(ids, renewing: []) { fleet in
            let registered = ContinuousClock.now
            let before = created(fleet, ids)
            // Several silences' worth of probing: no heartbeat deleted.
            try await Task.sleep(for: .seconds(3))
            #expect(created(fleet, ids) == before)

            // The machine dies: its probes' socket closes, its lease is neither renewed nor revoked.
            fleet.probes["w3"]?.cancel()
            try await eventually("w3's heartbeat deleted by its peers", timeout: .seconds(15)) {
                fleet.registry.read { $0.heartbeats["w3"] == nil }
            }
            // Well before the lease could have run out; the others untouched.
            #expect(registered.duration(to: .now) < .seconds(25))
            let others = ["w1", "w2", "w4", "w5"]
            #expect(created(fleet, others) == before.filter { $0.key != "w3" })
        }
    }

    @Test("a live worker its peers cannot reach is marked offline and writes its heartbeat again at once")
    func liveWorkerComesBack() async throws {
        let ids = ["w1", "w2", "w3", "w4"]
        try await withFleet(ids, renewing: Set(ids)) { fleet in
            let before = created(fleet, ids)
            // Its probes stop answering (a firewall on the probes' port), its store connection is fine.
            fleet.probes["w3"]?.cancel()
            try await eventually("w3's heartbeat deleted and written again", timeout: .seconds(15)) {
                let now = created(fleet, ["w3"])["w3"]
                return now != nil && now != before["w3"]
            }
            #expect(created(fleet, ["w1", "w2", "w4"]) == before.filter { $0.key != "w3" })
        }
    }

    @Test("hundreds of probe sockets on port 0 each get a port of their own (SO_REUSEADDR would let two share one)")
    func distinctPorts() async throws {
        var transports: [UDPProbeTransport] = []
        for _ in 0..<300 { transports.append(try await UDPProbeTransport.bind(host: "127.0.0.1", port: 0, advertisedHost: "127.0.0.1")) }
        #expect(Set(transports.map(\.address)).count == transports.count)
        for transport in transports { await transport.close() }
    }

    @Test("a probe is answered only under the cluster's key, only for its own id; a tampered one is dropped")
    func datagrams() {
        let key = ProbeKey(clusterSecret: "s1")
        let messages: [ProbeDatagram] = [
            .ping(nonce: 1, target: "w1"), .ack(nonce: UInt64.max, from: "sim-00042"),
            .pingRequest(nonce: 7, target: "w2", address: "[::1]:7946"),
        ]
        for message in messages {
            let bytes = message.encoded(key: key)
            #expect(ProbeDatagram.decode(bytes, key: key) == message)
            #expect(ProbeDatagram.decode(bytes, key: ProbeKey(clusterSecret: "s2")) == nil)
            var tampered = bytes
            tampered[2] ^= 1
            #expect(ProbeDatagram.decode(tampered, key: key) == nil)
            #expect(ProbeDatagram.decode(Array(bytes.dropLast()), key: key) == nil)
        }
        #expect(ProbeDatagram.decode([], key: key) == nil)
        #expect(ProbeDatagram.decode(Array(repeating: 0x41, count: 600), key: key) == nil)
    }
}
