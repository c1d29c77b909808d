import HeapModule

/// The workers of one placement pass, arranged so that a request looks at a few workers instead of every one
/// (docs/decisions/0031-placement-index.md). Active, healthy workers are grouped by what the filters before `room` read
/// (zone, the labels some request of the pass selects on, backends and the ones down); each group keeps its
/// workers in a heap per strategy, ordered by the same key the scan uses. A request reads the groups it may use
/// and takes the best worker with room from each: the same decision as ``Scheduler/choose(_:_:)`` scanning every
/// worker, which still answers why when nothing is left (once per kind of request and pass: allocations only
/// grow during a pass, so what found no worker finds none later in it).
struct PlacementIndex {
    /// Every worker of the pass, sorted by id, with what the pass has placed on it so far.
    private(set) var workers: [SchedulableWorker]
    private var positions: [String: Int] = [:]
    /// Bumped by every placement on a worker: a heap entry of an older version is stale.
    private var versions: [Int]
    private var groups: [Group] = []
    private var groupOfWorker: [Int?]
    private var matchingGroups: [GroupQuery: [Int]] = [:]
    private var refused: [RequestShape: Scheduler.Stage] = [:]
    /// Labels some request selects on: the only ones that tell groups apart.
    private let selectedLabels: Set<String>
    /// No request of the pass asks for less than this: a worker without room for it is out of the pass.
    private let smallest: Resources

    init(workers: [SchedulableWorker], requests: [PlacementRequest]) {
        self.workers = workers.sorted { $0.id < $1.id }
        versions = Array(repeating: 0, count: self.workers.count)
        groupOfWorker = Array(repeating: nil, count: self.workers.count)
        selectedLabels = Set(requests.flatMap { $0.constraints.workerLabels.keys })
        smallest = Resources(
            cpuCores: requests.map(\.resources.cpuCores).min() ?? 0,
            memoryBytes: requests.map(\.resources.memoryBytes).min() ?? 0,
            storageBytes: requests.map(\.resources.storageBytes).min() ?? 0)
        let strategies = Set(requests.map(\.constraints.strategy))
        var groupIndex: [GroupKey: Int] = [:]
        for (position, worker) in self.workers.enumerated() {
            positions[worker.id] = position
            guard Scheduler.Stage.active.keeps(worker, Self.anyRequest) else { continue }
            let key = GroupKey(worker, selectedLabels: selectedLabels)
            let group = groupIndex[key] ?? groups.count
            if group == groups.count {
                groupIndex[key] = group
                groups.append(Group(key: key, strategies: strategies))
            }
            groupOfWorker[position] = group
        }
        for position in self.workers.indices { push(position) }
    }

    /// The position of the worker the request goes to, or the filter that left no worker.
    mutating func choose(_ request: PlacementRequest) -> Result<Int, Scheduler.Stage> {
        let shape = RequestShape(request)
        if let stage = refused[shape] { return .failure(stage) }
        if let only = request.target ?? request.constraints.workerId {
            if let position = positions[only], Scheduler.Stage.allCases.allSatisfy({ $0.keeps(workers[position], request) }) {
                return .success(position)
            }
        } else {
            var chosen: Candidate?
            for group in groups(for: request) {
                guard let candidate = best(in: group, for: request) else { continue }
                if chosen.map({ candidate < $0 }) ?? true { chosen = candidate }
            }
            if let chosen { return .success(chosen.position) }
        }
        // Nothing fits: the scan names the filter that removed the last candidates.
        let scanned = Scheduler.choose(request, workers)
        if case .failure(let stage) = scanned { refused[shape] = stage }
        return scanned
    }

    /// Counts `resources` against the worker at `position`.
    mutating func place(_ resources: Resources, at position: Int) {
        workers[position].allocated.add(resources)
        versions[position] += 1
        push(position)
    }

    /// The groups whose workers pass every filter but `room` for this request (no target, no pinned worker).
    private mutating func groups(for request: PlacementRequest) -> [Int] {
        let query = GroupQuery(request)
        if let known = matchingGroups[query] { return known }
        let matching = groups.indices.filter { groups[$0].key.serves(query) }
        matchingGroups[query] = matching
        return matching
    }

    /// The best worker with room for the request in a group; entries of workers that changed since are dropped,
    /// and workers without room for the smallest request of the pass leave the group for good.
    private mutating func best(in group: Int, for request: PlacementRequest) -> Candidate? {
        let strategy = request.constraints.strategy
        var passed: [Candidate] = []
        defer { for candidate in passed { groups[group].insert(candidate, strategy) } }
        while let top = groups[group].min(strategy) {
            let worker = workers[top.position]
            if top.version == versions[top.position] && worker.fits(request.resources) { return top }
            groups[group].removeMin(strategy)
            if top.version == versions[top.position] && worker.fits(smallest) { passed.append(top) }
        }
        return nil
    }

    /// Enters the worker at `position`, as it stands now, into its group's heaps.
    private mutating func push(_ position: Int) {
        guard let group = groupOfWorker[position] else { return }
        for strategy in groups[group].strategies {
            groups[group].insert(Candidate(workers[position], position, versions[position], strategy), strategy)
        }
    }

    /// A request no filter before `active` can refuse: for asking whether a worker is active and healthy.
    private static let anyRequest = PlacementRequest(
        instanceId: "", backend: .sim, resources: Resources(), constraints: PlacementConstraints())
}

extension PlacementIndex {
    /// A worker in a heap, ordered as the scan ranks workers: by load, then instance count (both lower first
    /// for spread, higher first for binpack), then id.
    struct Candidate: Comparable {
        let score: Double
        let count: Int
        let id: String
        let position: Int
        let version: Int

        init(_ worker: SchedulableWorker, _ position: Int, _ version: Int, _ strategy: PlacementConstraints.Strategy) {
            let binpack = strategy == .binpack
            score = binpack ? -worker.load : worker.load
            count = binpack ? -worker.allocated.instances : worker.allocated.instances
            id = worker.id
            self.position = position
            self.version = version
        }

        static func < (a: Candidate, b: Candidate) -> Bool { (a.score, a.count, a.id) < (b.score, b.count, b.id) }
        static func == (a: Candidate, b: Candidate) -> Bool { (a.score, a.count, a.id) == (b.score, b.count, b.id) }
    }

    /// Workers the filters before `room` cannot tell apart.
    struct GroupKey: Hashable {
        let zone: String?
        let labels: [String: String]
        let backends: Set<BackendKind>
        let down: Set<BackendKind>

        init(_ worker: SchedulableWorker, selectedLabels: Set<String>) {
            zone = worker.zone
            labels = worker.labels.filter { selectedLabels.contains($0.key) }
            backends = worker.capabilities
            down = Set(worker.unavailableBackends.keys)
        }

        /// Whether its workers pass the backend, backend-up, zone and label filters for the query.
        func serves(_ query: GroupQuery) -> Bool {
            backends.contains(query.backend) && !down.contains(query.backend)
                && (query.zone == nil || zone == query.zone) && query.labels.allSatisfy { labels[$0.key] == $0.value }
        }
    }

    /// What of a request picks its groups.
    struct GroupQuery: Hashable {
        let backend: BackendKind
        let zone: String?
        let labels: [String: String]

        init(_ request: PlacementRequest) {
            backend = request.backend
            zone = request.constraints.zone
            labels = request.constraints.workerLabels
        }
    }

    /// Everything a decision reads of a request but the instance id.
    struct RequestShape: Hashable {
        let backend: BackendKind
        let resources: Resources
        let constraints: PlacementConstraints
        let target: String?

        init(_ request: PlacementRequest) {
            backend = request.backend
            resources = request.resources
            constraints = request.constraints
            target = request.target
        }
    }

    /// One group's heaps, one per strategy some request of the pass uses.
    struct Group {
        let key: GroupKey
        let strategies: Set<PlacementConstraints.Strategy>
        private var spread = Heap<Candidate>()
        private var binpack = Heap<Candidate>()

        init(key: GroupKey, strategies: Set<PlacementConstraints.Strategy>) {
            self.key = key
            self.strategies = strategies
        }

        func min(_ strategy: PlacementConstraints.Strategy) -> Candidate? {
            strategy == .binpack ? binpack.min : spread.min
        }

        mutating func removeMin(_ strategy: PlacementConstraints.Strategy) {
            if strategy == .binpack { _ = binpack.popMin() } else { _ = spread.popMin() }
        }

        mutating func insert(_ candidate: Candidate, _ strategy: PlacementConstraints.Strategy) {
            if strategy == .binpack { binpack.insert(candidate) } else { spread.insert(candidate) }
        }
    }
}
