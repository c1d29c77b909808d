/// A worker as the scheduler sees it.
public struct SchedulableWorker: Sendable, Equatable {
    public var id: String
    public var zone: String?
    public var labels: [String: String]
    public var capabilities: Set<BackendKind>
    public var status: WorkerStatus
    public var healthy: Bool
    public var capacity: WorkerCapacity
    public var allocated: Allocation

    public init(
        id: String, zone: String? = nil, labels: [String: String] = [:], capabilities: Set<BackendKind>,
        status: WorkerStatus = .active, healthy: Bool = true, capacity: WorkerCapacity,
        allocated: Allocation = Allocation()
    ) {
        self.id = id
        self.zone = zone
        self.labels = labels
        self.capabilities = capabilities
        self.status = status
        self.healthy = healthy
        self.capacity = capacity
        self.allocated = allocated
    }

    /// Whether `resources` fit in what is left.
    public func fits(_ r: Resources) -> Bool {
        allocated.cpuCores + r.cpuCores <= capacity.cpuCores + 1e-9
            && allocated.memoryMB + r.memoryMB <= capacity.memoryMB
            && allocated.diskGB + r.storageGB <= capacity.diskGB
            && allocated.instances + 1 <= capacity.maxInstances
    }

    /// The mean used fraction of cpu and memory, 0...1.
    var load: Double {
        let cpu = capacity.cpuCores > 0 ? allocated.cpuCores / capacity.cpuCores : 1
        let mem = capacity.memoryMB > 0 ? Double(allocated.memoryMB) / Double(capacity.memoryMB) : 1
        return (cpu + mem) / 2
    }
}

/// One instance waiting for a worker.
public struct PlacementRequest: Sendable, Equatable {
    public var instanceId: String
    public var backend: BackendKind
    public var resources: Resources
    public var constraints: PlacementConstraints

    public init(instanceId: String, backend: BackendKind, resources: Resources, constraints: PlacementConstraints) {
        self.instanceId = instanceId
        self.backend = backend
        self.resources = resources
        self.constraints = constraints
    }

    public init(_ instance: Instance) {
        self.init(
            instanceId: instance.id, backend: instance.backend, resources: instance.spec.resources,
            constraints: instance.spec.placement)
    }
}

/// The scheduler's answer for one request.
public enum PlacementDecision: Sendable, Equatable {
    case placed(workerId: String)
    /// No worker passes every filter; `reason` names the filter that removed the last candidates.
    case unplaceable(reason: String)
}

/// Places instances on workers. A pure function: filters, then scores (`spread` or `binpack`).
///
/// Filters, in order: worker active and healthy, backend capability, pinned worker, zone, label selector,
/// free cpu / memory / disk / instance slots. Ties break on the worker id, so results are deterministic.
public enum Scheduler {
    /// Places `requests` in order; each placement counts against the workers for the next ones.
    public static func place(_ requests: [PlacementRequest], on workers: [SchedulableWorker]) -> [PlacementDecision] {
        var pool = workers.sorted { $0.id < $1.id }
        var decisions: [PlacementDecision] = []
        decisions.reserveCapacity(requests.count)
        for request in requests {
            let decision = decide(request, pool)
            if case .placed(let id) = decision, let i = pool.firstIndex(where: { $0.id == id }) {
                pool[i].allocated.add(request.resources)
            }
            decisions.append(decision)
        }
        return decisions
    }

    /// The decision for one request against `workers`, without updating them.
    public static func decide(_ request: PlacementRequest, _ workers: [SchedulableWorker]) -> PlacementDecision {
        let c = request.constraints
        let filters: [(String, (SchedulableWorker) -> Bool)] = [
            ("no active, healthy worker", { $0.status == .active && $0.healthy }),
            ("no worker has the \(request.backend.rawValue) backend", { $0.capabilities.contains(request.backend) }),
            ("worker \(c.workerId ?? "") is not eligible", { c.workerId == nil || $0.id == c.workerId }),
            ("no eligible worker in zone \(c.zone ?? "")", { c.zone == nil || $0.zone == c.zone }),
            (
                "no eligible worker has the labels \(c.workerLabels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))",
                { w in c.workerLabels.allSatisfy { w.labels[$0.key] == $0.value } }
            ),
            ("no eligible worker has room for the requested resources", { $0.fits(request.resources) }),
        ]
        var candidates = workers
        for (reason, keep) in filters {
            candidates = candidates.filter(keep)
            if candidates.isEmpty { return .unplaceable(reason: reason) }
        }
        let best: SchedulableWorker?
        switch c.strategy {
        case .spread:
            best = candidates.min { a, b in
                (a.load, a.allocated.instances, a.id) < (b.load, b.allocated.instances, b.id)
            }
        case .binpack:
            best = candidates.min { a, b in
                (-a.load, -a.allocated.instances, a.id) < (-b.load, -b.allocated.instances, b.id)
            }
        }
        return best.map { .placed(workerId: $0.id) } ?? .unplaceable(reason: "no eligible worker")
    }
}
