import FlotillaBackends
import FlotillaCluster
import FlotillaCore
import FlotillaServer
import FlotillaStore
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals

/// One Flotilla host, assembled in one place: store, registry, backends, cluster services and the HTTP app.
public final class FlotillaHost: Sendable {
    public static let version = "0.1.0"

    public let configuration: HostConfiguration
    public let store: any ClusterStore & Service
    public let registry: RegistryCache
    public let instances: InstanceService
    public let keys: KeyService
    public let backends: BackendSet
    public let identity: HostIdentity
    public let routes: RouteTable
    /// The admin key generated on first start, if one was; shown once by the caller.
    public let generatedAdminKey: String?
    let membership: Membership
    /// Whether `build` registered the host (``Registration/atBuild``) or `run()` will, once it listens.
    let registeredAtBuild: Bool
    let election: LeaderElection
    /// The leader probe, and the peer probes when this host takes part in them (`--peer-probe-port`, ADR 0035).
    let probes: [any Service]
    let agent: Agent
    let peers: PeerHTTPClient
    /// The listeners' and host-to-host calls' TLS (ADR 0017); nil: plain text.
    let tls: HostTLS?
    let dependencies: ServerDependencies
    let logger: Logger

    /// When a host registers as a worker.
    public enum Registration: Sendable {
        /// In `build`: for hosts that run in this process without listening (tests, benchmarks).
        case atBuild
        /// In ``run(onListening:onGRPCListening:)``, once every listener bound its address (`flotilla serve`):
        /// a host that cannot listen never registers, never runs for leader and never starts its agent.
        case afterListening
    }

    /// Opens the store, loads the registry, makes sure an admin key exists and (``Registration/atBuild``)
    /// registers this host. The data folder's node key (made on first start) goes into every heartbeat.
    public static func build(
        _ configuration: HostConfiguration, registration: Registration = .atBuild, logger: Logger = Logger(label: "flotilla")
    ) async throws -> FlotillaHost {
        let tls = try HostTLS.make(configuration.tls, logger: logger.child("tls"))
        let problems = configuration.fenceBounds.problems
        guard problems.isEmpty || !configuration.enforceFenceOrder else { throw HostError.configuration(problems.joined(separator: "; ")) }
        try FileManager.default.createDirectory(atPath: configuration.dataDir, withIntermediateDirectories: true)
        let nodeKey = try NodeKey.resolve(dataDir: configuration.dataDir)
        let rawStore = try await StoreFactory.open(configuration, logger: logger)
        // Metrics (ADR 0021): one registry per host; the services get the counted and traced store and backends,
        // `FlotillaHost.store` and `.backends` stay the adapters themselves (the store's lease service, tests' faults).
        let metrics = HostMetrics(enabled: configuration.metrics, version: version)
        let store = InstrumentedStore(rawStore, metrics: metrics.cluster)
        let registry = RegistryCache(store: store, consistencyWait: configuration.consistencyWait, logger: logger.child("registry"))
        try await registry.load()
        let identity = HostIdentity(hostId: configuration.hostId, address: configuration.advertiseAddress)
        let timings = ClusterTimings(healthWindow: configuration.healthWindow, leaseTTL: configuration.leaseTTL)
        // The one wall clock of this host's services (ADR 0033).
        let clock = WallClock.system
        let rawBackends = try BackendSet(await BackendFactory.make(configuration, tls: tls, logger: logger))
        let backends = rawBackends.instrumented(metrics.cluster)
        let clusterSecret = try ClusterSecret.resolve(configuration)
        let keys = KeyService(
            store: store, registry: registry, hasher: APIKeyHasher(clusterSecret: clusterSecret), rateLimits: configuration.rateLimits,
            clock: clock)
        let generated = try await bootstrapKeys(configuration, keys, logger: logger)
        try await CatalogSeeder.seed(store: store)
        try await NetworkDeclaration.declare(configuration.networks, store: store)
        let worker = Worker(
            id: configuration.hostId, hostname: ProcessInfo.processInfo.hostName, address: identity.address,
            zone: configuration.zone, labels: configuration.labels, capabilities: backends.kinds,
            capacity: MachineCapacity.read(configuration), startedAt: clock.now)
        let backendHealth = BackendHealth(backends: backends, logger: logger.child("backend-health"), clock: clock)
        await backendHealth.checkAll()
        let session = StoreSession(bounds: configuration.fenceBounds)
        let peerProbe = try await peerProbe(configuration, store: store, registry: registry, clusterSecret: clusterSecret, logger: logger)
        let membership = Membership(
            store: store, identity: identity, timings: timings, clock: clock, worker: worker, nodeKey: nodeKey, health: backendHealth,
            session: session, registry: registry, probeAddress: peerProbe?.address,
            logger: logger.child("membership"))
        if registration == .atBuild { _ = try await membership.register() }
        // The watch is not running yet: catch up so the registry holds the bootstrap writes.
        try await registry.advance()
        // The listing's decoding left freed memory behind (hundreds of MB at 100,000 instances): give it back.
        ReleaseFreedMemory.now()
        let instances = InstanceService(
            store: store, registry: registry, identity: identity, timings: timings, clock: clock, backends: backends,
            logger: logger.child("instances"))
        let placement = PlacementDuty(
            store: store, registry: registry, identity: identity, timings: timings, clock: clock, logger: logger.child("scheduler"),
            metrics: metrics.cluster)
        let health = HealthDuty(
            store: store, registry: registry, identity: identity, clock: clock, grace: configuration.rescheduleAfter,
            policy: RegistryRepairPolicy(tombstoneRetention: configuration.tombstoneRetention), logger: logger.child("health"))
        let election = LeaderElection(
            store: store, registry: registry, identity: identity, timings: timings, clock: clock,
            duties: [
                placement, health,
                AuditPruneDuty(
                    store: store, retention: configuration.auditRetention, interval: configuration.auditPruneInterval,
                    clock: clock, logger: logger.child("audit")),
            ], logger: logger.child("leader"))
        let probe = LeaderProbe(
            store: store, registry: registry, identity: identity, reachability: TCPProbe(), logger: logger.child("leader-probe"))
        let probes: [any Service] = [probe] + (peerProbe.map { [$0] } ?? [])
        // Live migration (ADR 0027) uses the adapters themselves: the instrumented wrappers are not LiveMigrating.
        let migrations = MigrationGuard(backends: rawBackends)
        let peers = PeerHTTPClient(tls: tls?.peerClient, logger: logger.child("peers"))
        var deps = ServerDependencies(
            store: store, registry: registry, instances: instances, keys: keys, backends: backends, identity: identity,
            timings: timings, clock: clock, version: version, actionTimeout: configuration.actionTimeout,
            credential: ClusterCredential(secret: clusterSecret, requiresPeerCertificate: tls?.requiresPeerCertificate ?? false),
            peers: peers,
            proxyTimeout: configuration.proxyTimeout, metrics: metrics)
        let agent = Agent(
            store: store, registry: registry, identity: identity, clock: clock, backends: backends, health: backendHealth,
            reconciler: Reconciler(backoff: configuration.restartBackoff), followBackendEvents: configuration.followBackendEvents,
            session: session, migrations: migrations,
            snapshotPeers: PeerSnapshotClient(peers: peers, credential: deps.credential, hostId: identity.hostId),
            logger: logger.child("agent"))
        let live = LiveMigration(
            store: store, registry: registry, identity: identity, clock: clock, migrations: migrations,
            peers: PeerMigrationClient(peers: peers, credential: deps.credential, hostId: identity.hostId), session: session,
            logger: logger.child("migration"))
        deps.workers = WorkerService(
            store: store, registry: registry, identity: identity, timings: timings, clock: clock, instances: instances,
            migrations: migrations, live: live,
            logger: logger.child("workers"))
        let (_, routes) = FlotillaRouter.build(deps, logger: logger.child("http"))
        return FlotillaHost(
            configuration: configuration, store: rawStore, registry: registry, instances: instances, keys: keys,
            backends: rawBackends, identity: identity, routes: routes, generatedAdminKey: generated, membership: membership,
            registeredAtBuild: registration == .atBuild, election: election, probes: probes, agent: agent, peers: peers, tls: tls,
            dependencies: deps,
            logger: logger)
    }

    private init(
        configuration: HostConfiguration, store: any ClusterStore & Service, registry: RegistryCache, instances: InstanceService,
        keys: KeyService, backends: BackendSet, identity: HostIdentity, routes: RouteTable, generatedAdminKey: String?,
        membership: Membership, registeredAtBuild: Bool, election: LeaderElection, probes: [any Service], agent: Agent,
        peers: PeerHTTPClient,
        tls: HostTLS?, dependencies: ServerDependencies,
        logger: Logger
    ) {
        self.configuration = configuration
        self.store = store
        self.registry = registry
        self.instances = instances
        self.keys = keys
        self.backends = backends
        self.identity = identity
        self.routes = routes
        self.generatedAdminKey = generatedAdminKey
        self.membership = membership
        self.registeredAtBuild = registeredAtBuild
        self.election = election
        self.probes = probes
        self.agent = agent
        self.peers = peers
        self.tls = tls
        self.dependencies = dependencies
        self.logger = logger
    }

    /// The host-to-host credential (for tests of the internal routes and tools run by the operator).
    public var clusterCredential: ClusterCredential { dependencies.credential }

    /// This host's side of live migrations (its migrating backends, the instances its agent leaves alone).
    public var migrations: MigrationGuard { dependencies.workers.migrations }

    /// A fresh router over this host's services (for in-process HTTP tests and the application).
    public func router() -> Router<FlotillaRequestContext> {
        FlotillaRouter.build(dependencies, logger: logger.child("http")).0
    }

    /// The background services, in start order: store, registry, backend health, membership, election, leader
    /// probe (and peer probes), agent, and the host-to-host client (shut down after the HTTP server, which is last). For hosts built with
    /// ``Registration/atBuild`` that run in this process; `run()` orders its own (listeners first).
    public var backgroundServices: [any Service] {
        [store, registry, agent.health, membership, election] + probes + [agent, peers, keys.usageRecorder(logger: logger.child("keys"))]
            + tlsServices
    }

    /// The certificate reloader, when the host serves TLS: it runs before the listeners and stops after them.
    var tlsServices: [any Service] { tls.map { [$0.reloader] } ?? [] }

    /// The HTTP application on the configured address. `onListening` receives the bound port.
    /// Listening on port 0 without `--advertise`, the host advertises the port it really bound before
    /// `onListening` runs, so that other hosts can reach it.
    public func application(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let configuration = self.configuration
        let membership = self.membership
        let logger = self.logger
        return makeApplication { port in
            if configuration.advertise == nil && configuration.listenPort == 0 {
                do { try await membership.advertise("\(configuration.scheme)://\(configuration.listenHost):\(port)") } catch {
                    logger.error("could not advertise the bound address", metadata: ["error": "\(error)"])
                }
            }
            await onListening(port)
        }
    }

    private func makeApplication(onServerRunning: @escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol {
        Application(
            router: router(),
            server: GuardedHTTPServer.builder(configuration, tls: tls?.server, logger: logger.child("http")),
            configuration: .init(
                address: .hostname(configuration.listenHost, port: configuration.listenPort), serverName: "flotilla"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger.child("http"))
    }

    /// Runs every service until SIGTERM or SIGINT, then shuts them down in reverse order.
    ///
    /// The listeners bind first: the HTTP server and (unless off) surface E's gRPC listener. Only once both
    /// listen does the host register as a worker (`HostStartup`), and only then do leader election, the
    /// leader probe and the agent start (ADR 0010). An address that cannot be bound ends the run with
    /// ``HostError/cannotListen(address:option:reason:)``; another live host with this host id ends it with
    /// `HostIdentityConflict`; in both cases nothing of this host's registration was written.
    /// `onListening` and `onGRPCListening` receive the bound ports once the host is registered. `telemetry`: the
    /// span exporter of `serve --otlp-endpoint` (``Telemetry``), run first and shut down last.
    public func run(
        onListening: @escaping @Sendable (Int) async -> Void = { _ in },
        onGRPCListening: @escaping @Sendable (Int) async -> Void = { _ in },
        telemetry: [any Service] = []
    ) async throws {
        let http = BoundListener(host: configuration.listenHost, port: configuration.listenPort, option: "--listen") { bound in
            makeApplication { port in bound.open(port) }
        }
        let grpc = flintlockListener()
        let started = Latch<Void>()
        let startup = HostStartup(
            host: self, http: http.bound, grpc: grpc?.bound, started: started, onListening: onListening,
            onGRPCListening: onGRPCListening)
        let workerServices: [any Service] = [election] + probes + [agent]
        let afterStartup: [any Service] = workerServices.map { AfterStartup(started: started, service: $0) }
        // Shut down in reverse: HTTP, gRPC, the peer client, agent, probes, election, membership, backend health,
        // registry, store.
        // The span exporter (`serve --otlp-endpoint`, ADR 0022) starts first and stops last: it flushes every span.
        let services: [any Service] =
            telemetry + [store, registry, agent.health] + tlsServices + [startup] + afterStartup
            + [peers, keys.usageRecorder(logger: logger.child("keys"))] + (grpc.map { [$0] } ?? []) + [http]
        // A service that fails (a listener that cannot bind, a refused registration) shuts the others down
        // gracefully, in order, as a signal would; the group then throws its error.
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0, failureTerminationBehavior: .gracefullyShutdownGroup) },
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        logger.info(
            "flotilla serving",
            metadata: [
                "host": "\(identity.hostId)", "address": "\(configuration.listenHost):\(configuration.listenPort)",
                "backends": "\(backends.kinds.map(\.rawValue))",
            ])
        do {
            try await group.run()
        } catch {
            await StoreFactory.close(store)
            throw error
        }
        await StoreFactory.close(store)
        logger.info("flotilla stopped", metadata: ["host": "\(identity.hostId)"])
    }

    /// Makes the stored keys usable by this host (ADR 0014): checks that it hashes secrets as the hosts that
    /// stored them, rewrites keys stored before ADR 0014, then stores `--api-key` as an admin key unless it
    /// was revoked, or (no key at all) creates an admin key and returns its secret.
    private static func bootstrapKeys(_ configuration: HostConfiguration, _ keys: KeyService, logger: Logger) async throws -> String? {
        guard try await keys.hashingKeyMatchesStore() else {
            throw HostError.configuration(
                "the API keys in this store were stored under another cluster secret: start with the cluster's --cluster-secret "
                    + "(a single host keeps its own in <data-dir>/cluster-secret)")
        }
        let migrated = try await keys.migrateLegacyKeys()
        if migrated > 0 { logger.notice("API keys stored before ADR 0014 are now stored as HMACs", metadata: ["keys": "\(migrated)"]) }
        if let secret = configuration.apiKey {
            if let revoked = try await keys.revocation(of: secret) {
                guard keys.list().contains(where: { $0.role == .admin }) else {
                    throw HostError.configuration("--api-key names a revoked key and no other admin key exists")
                }
                logger.warning(
                    "--api-key names a revoked key: it stays revoked and was not stored again; remove it from the configuration",
                    metadata: ["id": "\(revoked.id)", "name": "\(revoked.name)", "revokedAt": "\(revoked.revokedAt)"])
                return nil
            }
            if !keys.list().contains(where: { $0.secretHash == keys.hasher.hash(secret) }) {
                let name = keys.list().contains { $0.name == "bootstrap" } ? "bootstrap-\(keys.hasher.hash(secret).prefix(8))" : "bootstrap"
                _ = try await keys.create(name: name, role: .admin, secret: secret, waitForRegistry: false)
            }
            return nil
        }
        guard keys.list().isEmpty else { return nil }
        let (_, secret) = try await keys.create(name: "admin", role: .admin, waitForRegistry: false)
        return secret
    }
}

extension Logger {
    func child(_ name: String) -> Logger {
        // The parent's handler, so a logger handed to the host (a test's capture) receives every component's lines.
        let handler = self.handler
        var l = Logger(label: label + "." + name) { _ in handler }
        l.logLevel = logLevel
        l[metadataKey: "component"] = "\(name)"
        return l
    }
}
