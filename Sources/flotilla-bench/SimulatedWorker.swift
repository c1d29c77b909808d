import FlotillaBackends
import FlotillaCluster
import FlotillaCore
import FlotillaHost
import Foundation
import Logging

/// One worker of the fleet simulator: the real ``Membership`` (its own registration, lease and keep-alive, its own
/// session fence) and, optionally, the real ``Agent`` on a sim backend of its own, on a store client it shares with
/// a few hundred others (``FleetBenchCommand/workersPerClient``) and one shared registry. ``kill()`` stands for the machine dying (``CuttableStore``).
final class SimulatedWorker: Sendable {
    let id: String
    private let store: CuttableStore
    let membership: Membership
    let agent: Agent?
    /// Its peer probes, on a UDP socket of its own (`fleet --peer-probes`).
    let probe: PeerProbe?

    /// The peer probes' shared parts: one ring per registry, one key per fleet.
    struct Probes {
        let ring: ProbeRingSource
        let key: ProbeKey
    }

    init(
        id: String, zone: String, store: any ClusterStore, registry: RegistryCache, timings: ClusterTimings,
        heartbeats: HeartbeatPlan, fenceBounds: FenceBounds, withAgent: Bool, probes: (Probes, UDPProbeTransport)?, logger: Logger
    ) {
        self.id = id
        let cuttable = CuttableStore(store)
        self.store = cuttable
        probe = probes.map { shared, transport in
            PeerProbe(
                workerId: id, store: cuttable, registry: registry, ring: shared.ring, transport: transport, key: shared.key, logger: logger)
        }
        let identity = HostIdentity(hostId: id, address: "http://127.0.0.1:1")
        let worker = Worker(
            id: id, hostname: id, address: identity.address, zone: zone, capabilities: [.sim],
            capacity: WorkerCapacity(cpuCores: 64, memoryMB: 262_144, diskGB: 1000, maxInstances: 1000), startedAt: Date())
        let session = StoreSession(bounds: fenceBounds)
        membership = Membership(
            store: cuttable, identity: identity, timings: timings, worker: worker, nodeKey: id, session: session,
            registry: registry, heartbeats: heartbeats, probeAddress: probe?.address, logger: logger)
        agent =
            withAgent
            ? Agent(
                store: cuttable, registry: registry, identity: identity,
                backends: BackendSet([SimBackend(configuration: .init(defaultLatency: .zero), logger: logger)]),
                resyncInterval: .seconds(10), session: session, logger: logger)
            : nil
    }

    /// Registers (before ``run()``).
    func register() async throws { _ = try await membership.register() }

    /// Keeps the worker alive (and its agent running) until cancelled or killed.
    func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.membership.run() }
            // Ticked by the fleet's one loop (``FleetRun``), not a timer per worker.
            if let probe { group.addTask { try await probe.runWithoutTicking() } }
            if let agent { group.addTask { try await agent.run() } }
            try await group.next()
            group.cancelAll()
        }
    }

    /// The machine dies: nothing this worker sends reaches the store any more (cancel its ``run()`` too: that closes
    /// its probes' socket).
    func kill() { store.cut() }

    /// Whether ``kill()`` was called: a dead machine's probes neither ping nor mark anyone.
    var isKilled: Bool { store.wasCut }
}
