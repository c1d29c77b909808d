import FlotillaCluster
import FlotillaCore
import Foundation

/// What the HTTP surfaces need, assembled once by the host.
public struct ServerDependencies: Sendable {
    public var store: any ClusterStore
    public var registry: RegistryCache
    public var instances: InstanceService
    public var keys: KeyService
    public var backends: BackendSet
    public var identity: HostIdentity
    /// The cluster's health window and lease TTL.
    public var timings: ClusterTimings
    /// The wall clock routes read (ADR 0033).
    public var clock: WallClock
    public var version: String
    /// How long synchronous actions wait by default (contract: 60 s).
    public var actionTimeout: Duration
    /// The flavor and image catalogs (surface C).
    public var catalog: CatalogService
    /// Drain, activate and migrate (surface B).
    public var workers: WorkerService
    /// The backend surface C puts VMs on unless `metadata.backend` says otherwise: `kvm` where this host has
    /// it, else `sim`.
    public var defaultVMBackend: BackendKind
    /// The host-to-host credential.
    public var credential: ClusterCredential
    /// How this host calls the others (surface D's proxy routing).
    public var peers: any PeerTransport
    /// How long a call routed to another host may take before the answer is 503.
    public var proxyTimeout: Duration
    /// The lifecycle log (`/api/v2/events`).
    public var events: EventFeed
    /// This host's metrics (`/metrics`, ADR 0021); off: nothing recorded, `/metrics` answers 404.
    public var metrics: HostMetrics

    public init(
        store: any ClusterStore, registry: RegistryCache, instances: InstanceService, keys: KeyService,
        backends: BackendSet, identity: HostIdentity, timings: ClusterTimings = ClusterTimings(), clock: WallClock = .system,
        version: String, actionTimeout: Duration = .seconds(60),
        defaultVMBackend: BackendKind? = nil,
        credential: ClusterCredential = ClusterCredential(secret: UUID().uuidString), peers: any PeerTransport = NoPeers(),
        proxyTimeout: Duration = .seconds(5), metrics: HostMetrics? = nil
    ) {
        self.metrics = metrics ?? HostMetrics(version: version)
        self.store = store
        self.registry = registry
        self.instances = instances
        self.keys = keys
        self.backends = backends
        self.identity = identity
        self.timings = timings
        self.clock = clock
        self.version = version
        self.actionTimeout = actionTimeout
        self.catalog = CatalogService(store: store, registry: registry)
        self.workers = WorkerService(
            store: store, registry: registry, identity: identity, timings: timings, clock: clock, instances: instances)
        self.defaultVMBackend = defaultVMBackend ?? (backends[.kvm] != nil ? .kvm : .sim)
        self.credential = credential
        self.peers = peers
        self.proxyTimeout = proxyTimeout
        self.events = EventFeed(store: store, registry: registry, metrics: self.metrics.cluster)
    }
}
