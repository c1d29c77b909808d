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
    public var instances: [String: Versioned<Instance>] = [:]
    /// Instance names to ids (the name reservations).
    public var names: [String: String] = [:]
    public var workers: [String: Versioned<Worker>] = [:]
    public var heartbeats: [String: Versioned<Heartbeat>] = [:]
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
    public var addressesInUse: [String: Set<IPv4Address>] {
        var used: [String: Set<IPv4Address>] = [:]
        for instance in liveInstances {
            for case let (network, address?) in (instance.spec.config.networks ?? []).map({ ($0.network, $0.address) }) {
                used[network, default: []].insert(address)
            }
        }
        return used
    }

    /// The status every surface shows for a worker.
    public func status(ofWorker id: String) -> WorkerStatus {
        guard let worker = workers[id]?.value else { return .offline }
        guard heartbeats[id] != nil else { return .offline }
        return worker.adminStatus == .draining ? .draining : .active
    }

    /// Resources held by the live instances placed on each worker.
    public func allocations() -> [String: Allocation] {
        var result: [String: Allocation] = [:]
        for versioned in instances.values {
            let instance = versioned.value
            guard instance.isLive, let worker = instance.workerId else { continue }
            result[worker, default: Allocation()].add(instance.spec.resources)
        }
        return result
    }
}

/// Resources allocated on one worker.
public struct Allocation: Sendable, Equatable, Hashable {
    public var cpuCores: Double = 0
    public var memoryMB: Int64 = 0
    public var diskGB: Int64 = 0
    public var instances: Int = 0

    public init(cpuCores: Double = 0, memoryMB: Int64 = 0, diskGB: Int64 = 0, instances: Int = 0) {
        self.cpuCores = cpuCores
        self.memoryMB = memoryMB
        self.diskGB = diskGB
        self.instances = instances
    }

    public mutating func add(_ r: Resources) {
        cpuCores += r.cpuCores
        memoryMB += r.memoryMB
        diskGB += r.storageGB
        instances += 1
    }
}
