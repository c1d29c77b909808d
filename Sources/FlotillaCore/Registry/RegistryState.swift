/// A record with the store revision it was last written at.
public struct Versioned<Value: Sendable & Equatable>: Sendable, Equatable {
    public var value: Value
    public var modRevision: Revision
    public var createRevision: Revision
    public init(value: Value, modRevision: Revision, createRevision: Revision) {
        self.value = value
        self.modRevision = modRevision
        self.createRevision = createRevision
    }
}

/// The cluster-wide state machine: everything a host knows about the cluster, built only by applying store
/// events in revision order (see ``RegistryReducer``). Two hosts that applied the same revisions hold equal
/// states.
public struct RegistryState: Sendable, Equatable {
    /// The last revision applied.
    public var revision: Revision = 0
    public var instances = InstanceTable()
    /// Instance names to ids (the name reservations).
    public var names = PersistentMap<String, String>()
    public var workers = PersistentMap<String, Versioned<Worker>>()
    public var heartbeats = PersistentMap<String, Versioned<Heartbeat>>()
    public var leader: Versioned<LeaderRecord>?
    /// API keys by secret hash.
    public var apiKeys: [String: APIKeyRecord] = [:]
    public var flavors: [String: Flavor] = [:]
    public var images: [String: Image] = [:]
    /// VM networks by name (docs/decisions/0025-vm-networks.md).
    public var networks: [String: NetworkDefinition] = [:]
    /// Snapshots by id (docs/decisions/0028-snapshots.md).
    public var snapshots: [String: Snapshot] = [:]
    /// Records that could not be decoded, by key (kept for diagnostics; never silently dropped).
    public var undecodable: Set<String> = []

    public init() {}

    /// Instances not yet deleted.
    public var liveInstances: [Instance] {
        instances.values.lazy.map(\.value).filter(\.isLive)
    }

    /// The addresses live instances hold, per network (what the create transaction must not hand out again;
    /// the store's address keys are what makes that certain).
    public var addressesInUse: [String: Set<IPv4Address>] { instances.addressesInUse }

    /// The status every surface shows for a worker.
    public func status(ofWorker id: String) -> WorkerStatus {
        guard let worker = workers[id]?.value else { return .offline }
        guard heartbeats[id] != nil else { return .offline }
        return worker.adminStatus == .draining ? .draining : .active
    }

    /// Resources held by the live instances placed on each worker.
    public func allocations() -> [String: Allocation] { instances.allocations }
}

/// Resources allocated on one worker. CPU is counted in thousandths of a core, so that adding and taking away
/// the same instances returns exactly to where it was (docs/decisions/0032-registry-indexes.md).
public struct Allocation: Sendable, Equatable, Hashable {
    public var milliCores: Int64 = 0
    public var memoryMB: Int64 = 0
    public var diskGB: Int64 = 0
    public var instances: Int = 0

    public var cpuCores: Double {
        get { Double(milliCores) / 1000 }
        set { milliCores = Self.milliCores(newValue) }
    }

    public init(cpuCores: Double = 0, memoryMB: Int64 = 0, diskGB: Int64 = 0, instances: Int = 0) {
        self.milliCores = Self.milliCores(cpuCores)
        self.memoryMB = memoryMB
        self.diskGB = diskGB
        self.instances = instances
    }

    public mutating func add(_ r: Resources) {
        milliCores += Self.milliCores(r.cpuCores)
        memoryMB += r.memoryMB
        diskGB += r.storageGB
        instances += 1
    }

    public mutating func subtract(_ r: Resources) {
        milliCores -= Self.milliCores(r.cpuCores)
        memoryMB -= r.memoryMB
        diskGB -= r.storageGB
        instances -= 1
    }

    private static func milliCores(_ cores: Double) -> Int64 { Int64((cores * 1000).rounded()) }
}
