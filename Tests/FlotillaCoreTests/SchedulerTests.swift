import FlotillaCore
import Testing

@Suite struct SchedulerTests {
    static let standard = WorkerCapacity(cpuCores: 4, memoryMB: 8192, diskGB: 100, maxInstances: 10)

    static func worker(
        _ id: String, zone: String? = nil, labels: [String: String] = [:],
        capabilities: Set<BackendKind> = [.sim, .docker], status: WorkerStatus = .active, healthy: Bool = true,
        capacity: WorkerCapacity = standard, allocated: Allocation = Allocation()
    ) -> SchedulableWorker {
        SchedulableWorker(
            id: id, zone: zone, labels: labels, capabilities: capabilities, status: status, healthy: healthy,
            capacity: capacity, allocated: allocated)
    }

    static func request(
        _ id: String = "i-1", backend: BackendKind = .sim, cpu: Double = 1, memoryMB: Int64 = 512,
        diskGB: Int64 = 0, constraints: PlacementConstraints = PlacementConstraints()
    ) -> PlacementRequest {
        PlacementRequest(
            instanceId: id, backend: backend,
            resources: Resources(cpuCores: cpu, memoryBytes: memoryMB << 20, storageBytes: diskGB << 30),
            constraints: constraints)
    }

    // MARK: - Filters

    /// One filter each: `rejected` fails only that filter; `eligible` passes every filter.
    struct FilterRow: Sendable, CustomTestStringConvertible {
        var name: String
        var request: PlacementRequest
        var rejected: SchedulableWorker
        var eligible: SchedulableWorker
        var reasonPrefix: String
        var testDescription: String { name }
    }

    static let filterRows: [FilterRow] = [
        FilterRow(
            name: "draining worker", request: request(), rejected: worker("w1", status: .draining),
            eligible: worker("w2"), reasonPrefix: "no active, healthy worker"),
        FilterRow(
            name: "offline worker", request: request(), rejected: worker("w1", status: .offline),
            eligible: worker("w2"), reasonPrefix: "no active, healthy worker"),
        FilterRow(
            name: "unhealthy worker", request: request(), rejected: worker("w1", healthy: false),
            eligible: worker("w2"), reasonPrefix: "no active, healthy worker"),
        FilterRow(
            name: "missing backend capability", request: request(backend: .kvm),
            rejected: worker("w1", capabilities: [.docker, .sim]), eligible: worker("w2", capabilities: [.kvm]),
            reasonPrefix: "no worker has the kvm backend"),
        FilterRow(
            name: "pinned to another worker", request: request(constraints: PlacementConstraints(workerId: "w2")),
            rejected: worker("w1"), eligible: worker("w2"), reasonPrefix: "worker w2 is not eligible"),
        FilterRow(
            name: "zone", request: request(constraints: PlacementConstraints(zone: "eu-1")),
            rejected: worker("w1", zone: "us-1"), eligible: worker("w2", zone: "eu-1"),
            reasonPrefix: "no eligible worker in zone eu-1"),
        FilterRow(
            name: "worker without a zone", request: request(constraints: PlacementConstraints(zone: "eu-1")),
            rejected: worker("w1"), eligible: worker("w2", zone: "eu-1"),
            reasonPrefix: "no eligible worker in zone eu-1"),
        FilterRow(
            name: "label selector",
            request: request(constraints: PlacementConstraints(workerLabels: ["gpu": "yes", "disk": "ssd"])),
            rejected: worker("w1", labels: ["gpu": "yes", "disk": "hdd"]),
            eligible: worker("w2", labels: ["gpu": "yes", "disk": "ssd", "extra": "ok"]),
            reasonPrefix: "no eligible worker has the labels disk=ssd,gpu=yes"),
        FilterRow(
            name: "cpu exhausted", request: request(cpu: 1),
            rejected: worker("w1", allocated: Allocation(cpuCores: 3.5, instances: 1)), eligible: worker("w2"),
            reasonPrefix: "no eligible worker has room for the requested resources"),
        FilterRow(
            name: "memory exhausted", request: request(memoryMB: 1024),
            rejected: worker("w1", allocated: Allocation(memoryMB: 7680, instances: 1)), eligible: worker("w2"),
            reasonPrefix: "no eligible worker has room for the requested resources"),
        FilterRow(
            name: "disk exhausted", request: request(diskGB: 20),
            rejected: worker("w1", allocated: Allocation(diskGB: 90, instances: 1)), eligible: worker("w2"),
            reasonPrefix: "no eligible worker has room for the requested resources"),
        FilterRow(
            name: "instance slots exhausted", request: request(),
            rejected: worker("w1", allocated: Allocation(instances: 10)), eligible: worker("w2"),
            reasonPrefix: "no eligible worker has room for the requested resources"),
        FilterRow(
            name: "memory rounded up to whole MiB",
            request: PlacementRequest(
                instanceId: "i-1", backend: .sim, resources: Resources(cpuCores: 1, memoryBytes: (512 << 20) + 1),
                constraints: PlacementConstraints()),
            rejected: worker("w1", capacity: WorkerCapacity(cpuCores: 4, memoryMB: 512, diskGB: 10, maxInstances: 4)),
            eligible: worker("w2", capacity: WorkerCapacity(cpuCores: 4, memoryMB: 513, diskGB: 10, maxInstances: 4)),
            reasonPrefix: "no eligible worker has room for the requested resources"),
    ]

    @Test(arguments: filterRows)
    func filterRejectsTheOnlyWorker(_ row: FilterRow) throws {
        let decision = Scheduler.decide(row.request, [row.rejected])
        guard case .unplaceable(let reason) = decision else {
            Issue.record("expected unplaceable, got \(decision)")
            return
        }
        #expect(reason.hasPrefix(row.reasonPrefix), "reason: \(reason)")
    }

    @Test(arguments: filterRows)
    func filterKeepsTheEligibleWorker(_ row: FilterRow) {
        #expect(Scheduler.decide(row.request, [row.rejected, row.eligible]) == .placed(workerId: row.eligible.id))
        #expect(Scheduler.decide(row.request, [row.eligible, row.rejected]) == .placed(workerId: row.eligible.id))
    }

    @Test("the admission check agrees with the decision: any worker fits exactly when the decision places", arguments: filterRows)
    func anyFitsAgreesWithDecide(_ row: FilterRow) {
        #expect(!Scheduler.anyFits(row.request, [row.rejected]))
        #expect(Scheduler.anyFits(row.request, [row.rejected, row.eligible]))
        #expect(Scheduler.anyFits(row.request, [row.eligible, row.rejected]))
        #expect(!Scheduler.anyFits(row.request, [SchedulableWorker]()))
    }

    @Test func reasonNamesTheFilterThatRemovedTheLastCandidates() {
        let workers = [Self.worker("w1", status: .draining), Self.worker("w2", capabilities: [.docker])]
        #expect(Scheduler.decide(Self.request(backend: .kvm), workers) == .unplaceable(reason: "no worker has the kvm backend"))
    }

    @Test func noWorkersAtAll() {
        #expect(Scheduler.decide(Self.request(), []) == .unplaceable(reason: "no active, healthy worker"))
    }

    @Test func exactFitIsAccepted() {
        let full = Self.worker(
            "w1", allocated: Allocation(cpuCores: 3, memoryMB: 7680, diskGB: 90, instances: 9))
        #expect(Scheduler.decide(Self.request(cpu: 1, memoryMB: 512, diskGB: 10), [full]) == .placed(workerId: "w1"))
    }

    // MARK: - Scoring

    static let busy = worker("w-busy", allocated: Allocation(cpuCores: 2, memoryMB: 4096, instances: 2))
    static let idle = worker("w-idle")

    @Test(arguments: [
        (PlacementConstraints.Strategy.spread, "w-idle"),
        (.binpack, "w-busy"),
    ])
    func strategyChoosesByLoad(_ strategy: PlacementConstraints.Strategy, _ expected: String) {
        let request = Self.request(constraints: PlacementConstraints(strategy: strategy))
        #expect(Scheduler.decide(request, [Self.busy, Self.idle]) == .placed(workerId: expected))
        #expect(Scheduler.decide(request, [Self.idle, Self.busy]) == .placed(workerId: expected))
    }

    @Test(arguments: PlacementConstraints.Strategy.allCases)
    func tiesBreakOnTheLowestId(_ strategy: PlacementConstraints.Strategy) {
        let request = Self.request(constraints: PlacementConstraints(strategy: strategy))
        let workers = [Self.worker("c"), Self.worker("a"), Self.worker("b")]
        #expect(Scheduler.decide(request, workers) == .placed(workerId: "a"))
    }

    @Test func spreadBreaksEqualLoadOnFewerInstances() {
        // Same cpu and memory load, but w2 holds fewer instances.
        let w1 = Self.worker("w1", allocated: Allocation(cpuCores: 1, memoryMB: 1024, instances: 2))
        let w2 = Self.worker("w2", allocated: Allocation(cpuCores: 1, memoryMB: 1024, instances: 1))
        #expect(Scheduler.decide(Self.request(), [w1, w2]) == .placed(workerId: "w2"))
    }

    // MARK: - Sequential placement

    static func counts(_ decisions: [PlacementDecision]) -> [String: Int] {
        var result: [String: Int] = [:]
        for case .placed(let id) in decisions { result[id, default: 0] += 1 }
        return result
    }

    @Test func spreadPlacesFiveOverThreeEqualWorkers() {
        let requests = (1...5).map { Self.request("i-\($0)") }
        let decisions = Scheduler.place(requests, on: [Self.worker("w3"), Self.worker("w1"), Self.worker("w2")])
        #expect(
            decisions == [
                .placed(workerId: "w1"), .placed(workerId: "w2"), .placed(workerId: "w3"), .placed(workerId: "w1"),
                .placed(workerId: "w2"),
            ])
        #expect(Self.counts(decisions) == ["w1": 2, "w2": 2, "w3": 1])
    }

    @Test func binpackFillsOneWorkerBeforeTheNext() {
        let small = WorkerCapacity(cpuCores: 4, memoryMB: 8192, diskGB: 100, maxInstances: 2)
        let workers = ["w1", "w2", "w3"].map { Self.worker($0, capacity: small) }
        let requests = (1...5).map { Self.request("i-\($0)", constraints: PlacementConstraints(strategy: .binpack)) }
        #expect(Self.counts(Scheduler.place(requests, on: workers)) == ["w1": 2, "w2": 2, "w3": 1])
    }

    @Test func earlierPlacementsCountAgainstCapacity() {
        let two = WorkerCapacity(cpuCores: 2, memoryMB: 8192, diskGB: 100, maxInstances: 10)
        let requests = (1...3).map { Self.request("i-\($0)", cpu: 1) }
        let decisions = Scheduler.place(requests, on: [Self.worker("w1", capacity: two)])
        #expect(decisions.prefix(2).allSatisfy { $0 == .placed(workerId: "w1") })
        #expect(decisions[2] == .unplaceable(reason: "no eligible worker has room for the requested resources"))
    }

    @Test func anUnplaceableRequestDoesNotConsumeCapacity() {
        let requests = [Self.request("big", cpu: 64), Self.request("small", cpu: 4)]
        let decisions = Scheduler.place(requests, on: [Self.worker("w1")])
        #expect(decisions == [.unplaceable(reason: "no eligible worker has room for the requested resources"), .placed(workerId: "w1")])
    }

    @Test func placementIsDeterministicWhateverTheWorkerOrder() {
        let workers = [
            Self.worker("w1", zone: "a"), Self.worker("w2", zone: "b"), Self.worker("w3", zone: "a"),
            Self.worker("w4", zone: "b", allocated: Allocation(cpuCores: 1, memoryMB: 512, instances: 1)),
        ]
        let requests = (1...9).map {
            Self.request("i-\($0)", cpu: 0.5, constraints: PlacementConstraints(zone: $0 % 3 == 0 ? "a" : nil))
        }
        let expected = Scheduler.place(requests, on: workers)
        for order in [workers.reversed(), [workers[2], workers[0], workers[3], workers[1]]] {
            #expect(Scheduler.place(requests, on: Array(order)) == expected)
        }
    }
}
