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
    /// Backends the worker has but reports down right now, with the reason: nothing is placed on them.
    public var unavailableBackends: [BackendKind: String]

    public init(
        id: String, zone: String? = nil, labels: [String: String] = [:], capabilities: Set<BackendKind>,
        status: WorkerStatus = .active, healthy: Bool = true, capacity: WorkerCapacity,
        allocated: Allocation = Allocation(), unavailableBackends: [BackendKind: String] = [:]
    ) {
        self.unavailableBackends = unavailableBackends
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
    /// A migration's destination (``Instance/migrateTo``): only this worker is considered, on top of every other
    /// filter (docs/decisions/0006-drain-and-migrate.md).
    public var target: String?

    public init(
        instanceId: String, backend: BackendKind, resources: Resources, constraints: PlacementConstraints, target: String? = nil
    ) {
        self.instanceId = instanceId
        self.backend = backend
        self.resources = resources
        self.constraints = constraints
        self.target = target
    }

    /// The request of an instance as its record stands: its placement constraints, and the target a migration
    /// carried into the record (``Instance/migrateTo``).
    public init(_ instance: Instance) {
        self.init(
            instanceId: instance.id, backend: instance.backend, resources: instance.spec.resources,
            constraints: instance.spec.placement, target: instance.migrateTo)
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
/// Filters, in order: a migration's target worker, worker active and healthy, backend capability, that backend up
/// on the worker, pinned worker, zone, label selector, free cpu / memory / disk / instance slots. Ties break on the worker id, so results are deterministic.
public enum Scheduler {
    /// Places `requests` in order; each placement counts against the workers for the next ones. Each request
    /// reads a few workers of a ``PlacementIndex``, not the whole fleet; the decisions are those of
    /// ``placeByScanning(_:on:)``.
    public static func place(_ requests: [PlacementRequest], on workers: [SchedulableWorker]) -> [PlacementDecision] {
        var index = PlacementIndex(workers: workers, requests: requests)
        return requests.map { request in
            switch index.choose(request) {
            case .success(let position):
                index.place(request.resources, at: position)
                return .placed(workerId: index.workers[position].id)
            case .failure(let stage):
                return .unplaceable(reason: stage.reason(request))
            }
        }
    }

    /// ``place(_:on:)`` by scanning every worker for every request: the reference the index is checked and
    /// measured against (`flotilla-bench placement`).
    public static func placeByScanning(_ requests: [PlacementRequest], on workers: [SchedulableWorker]) -> [PlacementDecision] {
        var pool = workers.sorted { $0.id < $1.id }
        return requests.map { request in
            switch choose(request, pool) {
            case .success(let index):
                pool[index].allocated.add(request.resources)
                return .placed(workerId: pool[index].id)
            case .failure(let stage):
                return .unplaceable(reason: stage.reason(request))
            }
        }
    }

    /// The decision for one request against `workers`, without updating them.
    public static func decide(_ request: PlacementRequest, _ workers: [SchedulableWorker]) -> PlacementDecision {
        switch choose(request, workers) {
        case .success(let index): return .placed(workerId: workers[index].id)
        case .failure(let stage): return .unplaceable(reason: stage.reason(request))
        }
    }

    /// Whether any of `workers` passes every filter: stops at the first that does, so that an admission check on a
    /// fleet with room reads a worker or two, not all of them.
    public static func anyFits(_ request: PlacementRequest, _ workers: some Sequence<SchedulableWorker>) -> Bool {
        workers.contains { worker in Stage.allCases.allSatisfy { $0.keeps(worker, request) } }
    }

    /// The filters, in the order they apply.
    enum Stage: Int, Error, CaseIterable {
        case target, active, backend, backendUp, pinned, zone, labels, room

        /// Why no worker is left once this filter removed the last candidates.
        func reason(_ request: PlacementRequest) -> String {
            let c = request.constraints
            switch self {
            case .target: return "worker \(request.target ?? "") is not known"
            case .active: return "no active, healthy worker"
            case .backend: return "no worker has the \(request.backend.rawValue) backend"
            case .backendUp: return "the \(request.backend.rawValue) backend is down on every worker that has it"
            case .pinned: return "worker \(c.workerId ?? "") is not eligible"
            case .zone: return "no eligible worker in zone \(c.zone ?? "")"
            case .labels: return "no eligible worker has the labels \(c.workerLabelsText)"
            case .room: return "no eligible worker has room for the requested resources"
            }
        }

        /// Whether `worker` passes this filter.
        func keeps(_ worker: SchedulableWorker, _ request: PlacementRequest) -> Bool {
            let c = request.constraints
            switch self {
            case .target: return request.target == nil || worker.id == request.target
            case .active: return worker.status == .active && worker.healthy
            case .backend: return worker.capabilities.contains(request.backend)
            case .backendUp: return worker.unavailableBackends[request.backend] == nil
            case .pinned: return c.workerId == nil || worker.id == c.workerId
            case .zone: return c.zone == nil || worker.zone == c.zone
            case .labels: return c.workerLabels.allSatisfy { worker.labels[$0.key] == $0.value }
            case .room: return worker.fits(request.resources)
            }
        }
    }

    /// One pass over the workers: the index of the best one passing every filter, or the filter that removed
    /// the last candidates (the furthest any worker got), exactly as if the filters ran one after another.
    static func choose(_ request: PlacementRequest, _ workers: [SchedulableWorker]) -> Result<Int, Stage> {
        var furthest = 0
        var best: (index: Int, key: (Double, Int, String))?
        let binpack = request.constraints.strategy == .binpack
        for (index, worker) in workers.enumerated() {
            var passed = 0
            for stage in Stage.allCases {
                guard stage.keeps(worker, request) else { break }
                passed += 1
            }
            furthest = max(furthest, passed)
            guard passed == Stage.allCases.count else { continue }
            let load = worker.load
            let key =
                binpack
                ? (-load, -worker.allocated.instances, worker.id) : (load, worker.allocated.instances, worker.id)
            if let current = best, !(key < current.key) { continue }
            best = (index, key)
        }
        if let best { return .success(best.index) }
        // No worker at all: without a target, the first real filter is the one that left nothing.
        if furthest == 0 && request.target == nil { return .failure(.active) }
        return .failure(Stage(rawValue: furthest) ?? .room)
    }
}
