import ArgumentParser
import FlotillaCluster
import FlotillaCore
import FlotillaHost
import Foundation
import Logging
import ServiceLifecycle

/// Issue 19's fleet simulator: `--workers` simulated workers in this process, each with its own registration, lease,
/// keep-alive and session fence (and with `--agents`, its own agent on a sim backend), against a real store: by
/// default a 3-member etcd that the command starts, with a real Flotilla host beside them as the leader. It holds
/// the fleet for `--seconds`, counting workers falsely seen offline, then kills `--kill` workers at once (their
/// store calls stop, as a dead machine's would) and reports when every host saw them offline and what the leader did.
struct FleetBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet", abstract: "A simulated fleet of workers on a real store: heartbeats held, dead workers found (issue 19).")

    @Option(help: "Simulated workers.") var workers = 1000
    @Option(help: "Pending instances written for the leader to place on the fleet (0: none).") var instances = 0
    @Flag(inversion: .prefixedNo, help: "Run an agent on a sim backend per worker (on when --instances > 0).") var agents = false
    @Option(help: "Seconds between heartbeat records (the lease is kept alive every TTL/3 regardless).") var heartbeat = 5
    @Option(help: "The workers' lease TTL, seconds.") var leaseTTL = 3
    @Flag(help: "Workers probe each other over UDP and delete an unreachable one's heartbeat (docs/decisions/0035-peer-probes.md).")
    var peerProbes = false
    @Option(help: "Seconds to hold the whole fleet before the kill.") var seconds = 60
    @Option(help: "Workers killed at once after the hold (0: none).") var kill = 100
    @Option(help: "The store: etcd://HOST:PORT,... or postgres://...; default: a new etcd of --etcd-members.") var store: String?
    @Option(help: "Members of the etcd the command starts.") var etcdMembers = 3
    @Option(help: "The etcd binary.") var etcd = "/usr/bin/etcd"
    @Option(help: "Registrations in flight at once while the fleet starts.") var registering = 64
    @Option(help: "Simulated workers sharing one store client (one connection, as a host's few leases share one).")
    var workersPerClient = 250
    @Option(help: "The log level of the leader, the store clients and the workers (logged to standard error).")
    var logLevel: String = "critical"

    func validate() throws {
        guard workers > 0, kill <= workers, heartbeat > 0, leaseTTL > 0, seconds >= 0, workersPerClient > 0 else {
            throw ValidationError(
                "need --workers > 0, --kill <= --workers, --heartbeat > 0, --lease-ttl > 0, --seconds >= 0, --workers-per-client > 0")
        }
    }

    func run() async throws {
        // A UDP socket per worker with --peer-probes.
        let files = OpenFileLimit.raiseToHard()
        guard !peerProbes || files.after > workers + 1024 else {
            throw ValidationError("open-file limit \(files.after) is too low for \(workers) workers' probe sockets")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-fleet-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var etcdCluster: BenchEtcdCluster?
        defer { etcdCluster?.stop() }
        let storeURL: String
        if let store {
            storeURL = store
        } else {
            let started = try await BenchEtcdCluster.start(binary: etcd, directory: dir + "/etcd", members: etcdMembers)
            etcdCluster = started
            storeURL = started.storeURL
        }
        var logger = Logger(label: "fleet")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .critical
        var config = benchHostConfiguration(dataDir: dir + "/leader", hostId: "leader", backends: [.sim])
        config.store = storeURL
        config.clusterSecret = "bench-cluster-secret"
        config.listenPort = 0
        config.cpuCores = 1
        config.memoryMB = 1024
        config.leaseTTL = .seconds(leaseTTL)
        // A long lease needs a fence and a grace to match (ADR 0016): the shortest that keep their order.
        config.fenceAfter = max(config.fenceAfter, config.leaseTTL)
        config.rescheduleAfter = max(
            config.rescheduleAfter, (config.fenceBounds.fencedWithin / (1 - FenceBounds.clockRateError)).roundedUpToSeconds + .seconds(1))
        let leader = try await FlotillaHost.build(config, logger: logger)
        // A real host holds a lease or two on its store connection; the simulator's workers share one client per
        // `--workers-per-client`, so that one connection does not carry thousands of lease streams.
        var fleetStores: [any ClusterStore & Service] = []
        for _ in 0..<((workers + workersPerClient - 1) / workersPerClient) {
            fleetStores.append(try await StoreFactory.openStore(config, logger: logger))
        }
        let observerStore = try await StoreFactory.openStore(config, logger: logger)
        let registry = RegistryCache(store: fleetStores[0], logger: logger)
        try await registry.load()
        let services: [any Service] =
            fleetStores as [any Service] + [observerStore, registry] + leader.backgroundServices + [leader.application()]
        let group = ServiceGroup(services: services, logger: logger)
        let run = FleetRun(
            options: self, leader: leader, fleetStores: fleetStores, observerStore: observerStore, registry: registry,
            etcd: etcdCluster, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                try await run.measure()
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
