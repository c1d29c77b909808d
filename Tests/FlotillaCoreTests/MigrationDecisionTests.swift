import FlotillaCore
import Foundation
import Testing

/// Where a migration may go (``MigrationDecision``), the scheduler honouring a migration's target, and the target
/// spent once the instance is placed.
@Suite struct MigrationDecisionTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// A running sim instance on `w1` asking for 1 core and 512 MiB.
    static func instance(placement: PlacementConstraints = PlacementConstraints(), backend: BackendKind = .sim) -> Instance {
        var i = Instance(
            id: "i1", name: "web", kind: .container, backend: backend,
            spec: InstanceSpec(
                config: InstanceConfig(image: "busybox"), resources: Resources(cpuCores: 1, memoryBytes: 512 << 20),
                placement: placement),
            createdAt: now - 100)
        i.state = .running
        i.workerId = "w1"
        return i
    }

    static func worker(
        _ id: String, zone: String? = nil, labels: [String: String] = [:], capabilities: Set<BackendKind> = [.sim],
        status: WorkerStatus = .active, healthy: Bool = true, allocated: Allocation = Allocation(),
        unavailable: [BackendKind: String] = [:]
    ) -> SchedulableWorker {
        SchedulableWorker(
            id: id, zone: zone, labels: labels, capabilities: capabilities, status: status, healthy: healthy,
            capacity: WorkerCapacity(cpuCores: 4, memoryMB: 8192, diskGB: 100, maxInstances: 10), allocated: allocated,
            unavailableBackends: unavailable)
    }

    /// `w1` (where the instance runs), an idle `w0` the scheduler would pick on its own, and `row.target` as given.
    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var instance: Instance = MigrationDecisionTests.instance()
        var target: String?
        var targetWorker: SchedulableWorker?
        var expected: MigrationDecision
        var code: FlotillaError.Code?
        var testDescription: String { name }
    }

    static let full = Allocation(cpuCores: 3.5, memoryMB: 1024, instances: 2)

    static let rows: [Row] = [
        Row(
            name: "healthy target with room: that worker, not the scheduler's own pick w0", target: "w2", targetWorker: worker("w2"),
            expected: .move(to: "w2")),
        Row(name: "no target: the scheduler's pick among the others", expected: .move(to: "w0")),
        Row(
            name: "unknown target", target: "w9", expected: .refused(.unknownWorker("w9")), code: .notFound),
        Row(name: "the worker it runs on", target: "w1", expected: .refused(.sameWorker("w1")), code: .invalidState),
        Row(
            name: "drained target", target: "w2", targetWorker: worker("w2", status: .draining),
            expected: .refused(.notSchedulable(workerId: "w2", reason: "it is draining")), code: .invalidState),
        Row(
            name: "offline target", target: "w2", targetWorker: worker("w2", status: .offline, healthy: false),
            expected: .refused(.notSchedulable(workerId: "w2", reason: "it is offline")), code: .invalidState),
        Row(
            name: "dead target (stale heartbeat)", target: "w2", targetWorker: worker("w2", healthy: false),
            expected: .refused(.notSchedulable(workerId: "w2", reason: "its heartbeat is too old (the host looks dead)")),
            code: .invalidState),
        Row(
            name: "full target", target: "w2", targetWorker: worker("w2", allocated: full),
            expected: .refused(.doesNotFit(workerId: "w2", reason: "it has no room for the instance's resources")),
            code: .resourceLimitExceeded),
        Row(
            name: "target without the backend", target: "w2", targetWorker: worker("w2", capabilities: [.docker]),
            expected: .refused(.doesNotFit(workerId: "w2", reason: "it has no sim backend")), code: .resourceLimitExceeded),
        Row(
            name: "target with the backend down", target: "w2", targetWorker: worker("w2", unavailable: [.sim: "socket gone"]),
            expected: .refused(.doesNotFit(workerId: "w2", reason: "its sim backend is down")), code: .resourceLimitExceeded),
        Row(
            name: "target outside the instance's zone",
            instance: instance(placement: PlacementConstraints(zone: "eu-1")), target: "w2",
            targetWorker: worker("w2", zone: "us-1"),
            expected: .refused(.doesNotFit(workerId: "w2", reason: "it is not in zone eu-1")), code: .resourceLimitExceeded),
        Row(
            name: "target without the instance's worker labels",
            instance: instance(placement: PlacementConstraints(workerLabels: ["gpu": "yes"])), target: "w2",
            targetWorker: worker("w2"),
            expected: .refused(.doesNotFit(workerId: "w2", reason: "it does not have the labels gpu=yes")),
            code: .resourceLimitExceeded),
        Row(
            name: "instance pinned to its worker by its placement",
            instance: instance(placement: PlacementConstraints(workerId: "w1")), target: "w2", targetWorker: worker("w2"),
            expected: .refused(.doesNotFit(workerId: "w2", reason: "the instance is pinned to worker w1")),
            code: .resourceLimitExceeded),
    ]

    @Test(arguments: rows)
    func decision(_ row: Row) {
        let workers = [Self.worker("w0"), Self.worker("w1")] + (row.targetWorker.map { [$0] } ?? [])
        let decision = MigrationDecision.decide(row.instance, from: "w1", target: row.target, workers: workers)
        #expect(decision == row.expected)
        if case .refused(let refusal) = decision {
            let error = refusal.error(instanceId: "i1", from: "w1")
            #expect(error.code == row.code)
            #expect(error.message.contains(row.target ?? "w1"), "\(error.message)")
        }
    }

    @Test func noOtherWorkerAndNoTarget() {
        let decision = MigrationDecision.decide(
            Self.instance(), from: "w1", target: nil, workers: [Self.worker("w1"), Self.worker("w2", status: .draining)])
        #expect(decision == .refused(.nowhere(reason: "no active, healthy worker")))
        guard case .refused(let refusal) = decision else { return }
        #expect(refusal.error(instanceId: "i1", from: "w1").code == .resourceLimitExceeded)
    }

    // MARK: The leader's side: the target carried in the record

    @Test func theSchedulerPlacesATargetedInstanceOnlyOnItsTarget() {
        var pending = Self.instance()
        pending.state = .pending
        pending.workerId = nil
        pending.migrateTo = "w2"
        let busy = Self.worker("w2", allocated: Allocation(cpuCores: 2, memoryMB: 2048, instances: 3))
        let request = PlacementRequest(pending)
        #expect(request.target == "w2")
        #expect(Scheduler.place([request], on: [Self.worker("w0"), busy]) == [.placed(workerId: "w2")])
        #expect(
            Scheduler.decide(request, [Self.worker("w0"), Self.worker("w2", status: .draining)])
                == .unplaceable(reason: "no active, healthy worker"))
        #expect(Scheduler.decide(request, [Self.worker("w0")]) == .unplaceable(reason: "worker w2 is not known"))
        pending.migrateTo = nil
        #expect(Scheduler.decide(PlacementRequest(pending), [Self.worker("w0"), busy]) == .placed(workerId: "w0"))
    }

    @Test func placingTheInstanceSpendsItsTarget() {
        var pending = Self.instance()
        pending = InstanceTransitions.returnToPending(pending, from: "w1", reason: "migrating", now: Self.now)
        pending.migrateTo = "w2"
        let placed = InstanceTransitions.place(pending, on: "w2", now: Self.now)
        #expect(placed.workerId == "w2" && placed.state == .creating)
        #expect(placed.migrateTo == nil)
        #expect(placed.migratedFrom == "w1")
    }
}
