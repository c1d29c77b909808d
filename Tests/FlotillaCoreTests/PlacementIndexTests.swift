import FlotillaCore
import Testing

/// The indexed scheduler (``Scheduler/place(_:on:)``, docs/decisions/0031-placement-index.md) decides exactly as scanning
/// every worker does (``Scheduler/placeByScanning(_:on:)``): on each filter's table row, on the scoring rows, and
/// on random fleets with zones, labels, backends down, drained and unhealthy workers, pinned and targeted requests,
/// both strategies and workers that fill up during the pass.
@Suite struct PlacementIndexTests {
    typealias Rows = SchedulerTests

    @Test(arguments: SchedulerTests.filterRows)
    func everyFilterDecidesAsTheScan(_ row: SchedulerTests.FilterRow) {
        for workers in [[row.rejected], [row.rejected, row.eligible], [row.eligible, row.rejected]] {
            let requests = [row.request, row.request, row.request]
            #expect(Scheduler.place(requests, on: workers) == Scheduler.placeByScanning(requests, on: workers))
        }
    }

    @Test(arguments: PlacementConstraints.Strategy.allCases)
    func scoringDecidesAsTheScan(_ strategy: PlacementConstraints.Strategy) {
        let workers = [
            Rows.busy, Rows.idle, Rows.worker("a"), Rows.worker("c"),
            Rows.worker("w1", allocated: Allocation(cpuCores: 1, memoryMB: 1024, instances: 2)),
            Rows.worker("w2", allocated: Allocation(cpuCores: 1, memoryMB: 1024, instances: 1)),
        ]
        let requests = (1...40).map { Rows.request("i-\($0)", constraints: PlacementConstraints(strategy: strategy)) }
        let decisions = Scheduler.place(requests, on: workers)
        #expect(decisions == Scheduler.placeByScanning(requests, on: workers))
        // 4 cores each, 1 per request, 4 already taken: 20 placed, then no room.
        #expect(decisions.filter { $0 != .unplaceable(reason: "no eligible worker has room for the requested resources") }.count == 20)
    }

    @Test func aFullWorkerLeavesThePassAndTheNextOneFills() {
        let two = WorkerCapacity(cpuCores: 4, memoryMB: 8192, diskGB: 100, maxInstances: 2)
        let workers = (1...4).map { Rows.worker("w\($0)", capacity: two) }
        let requests = (1...9).map { Rows.request("i-\($0)", constraints: PlacementConstraints(strategy: .binpack)) }
        let decisions = Scheduler.place(requests, on: workers)
        #expect(decisions.prefix(8).map { $0 } == ["w1", "w1", "w2", "w2", "w3", "w3", "w4", "w4"].map { .placed(workerId: $0) })
        #expect(decisions[8] == .unplaceable(reason: "no eligible worker has room for the requested resources"))
    }

    @Test(arguments: 0..<60)
    func randomFleetsDecideAsTheScan(_ seed: Int) {
        var random = SplitMix64(seed: UInt64(seed))
        let workers = (0..<Int.random(in: 1...40, using: &random)).map { Self.randomWorker($0, &random) }
        let ids = workers.map(\.id) + ["gone"]
        let requests = (0..<Int.random(in: 1...300, using: &random)).map { Self.randomRequest($0, ids, &random) }
        #expect(Scheduler.place(requests, on: workers) == Scheduler.placeByScanning(requests, on: workers), "seed \(seed)")
    }

    static let zones: [String?] = [nil, "z1", "z2", "z3"]
    static let backends: [BackendKind] = [.sim, .docker, .kvm]

    /// A worker with random room, zone, labels, backends (some down) and status; a few unhealthy.
    static func randomWorker(_ n: Int, _ random: inout SplitMix64) -> SchedulableWorker {
        let capacity = WorkerCapacity(
            cpuCores: Double(Int.random(in: 1...8, using: &random)), memoryMB: Int64.random(in: 1...8, using: &random) * 1024,
            diskGB: Int64.random(in: 0...100, using: &random), maxInstances: Int.random(in: 1...12, using: &random))
        let statuses: [WorkerStatus] = [.active, .active, .active, .active, .draining, .offline]
        var labels: [String: String] = ["host": "h\(n)"]
        if Bool.random(using: &random) { labels["gpu"] = Bool.random(using: &random) ? "yes" : "no" }
        if Bool.random(using: &random) { labels["disk"] = "ssd" }
        let capabilities = Set(backends.filter { _ in Int.random(in: 0..<3, using: &random) > 0 })
        let down = capabilities.filter { _ in Int.random(in: 0..<8, using: &random) == 0 }
        return SchedulableWorker(
            id: "w\(Int.random(in: 0..<1000, using: &random))-\(n)", zone: zones.randomElement(using: &random) ?? nil, labels: labels,
            capabilities: capabilities, status: statuses.randomElement(using: &random) ?? .active,
            healthy: Int.random(in: 0..<10, using: &random) > 0, capacity: capacity,
            allocated: Allocation(
                cpuCores: Double(Int.random(in: 0...2, using: &random)) / 2, memoryMB: Int64.random(in: 0...2048, using: &random),
                instances: Int.random(in: 0...2, using: &random)),
            unavailableBackends: Dictionary(uniqueKeysWithValues: down.map { ($0, "down") }))
    }

    /// A request for one of the backends, some with a zone or labels, a few pinned to or targeting one of `ids`.
    static func randomRequest(_ n: Int, _ ids: [String], _ random: inout SplitMix64) -> PlacementRequest {
        var constraints = PlacementConstraints(strategy: Bool.random(using: &random) ? .spread : .binpack)
        if Int.random(in: 0..<3, using: &random) == 0 { constraints.zone = zones.randomElement(using: &random) ?? nil }
        if Int.random(in: 0..<4, using: &random) == 0 { constraints.workerLabels["gpu"] = "yes" }
        if Int.random(in: 0..<6, using: &random) == 0 { constraints.workerLabels["disk"] = "ssd" }
        if Int.random(in: 0..<20, using: &random) == 0 { constraints.workerId = ids.randomElement(using: &random) }
        let target = Int.random(in: 0..<20, using: &random) == 0 ? ids.randomElement(using: &random) : nil
        return PlacementRequest(
            instanceId: "i-\(n)", backend: backends.randomElement(using: &random) ?? .sim,
            resources: Resources(
                cpuCores: [0.25, 0.5, 1, 2].randomElement(using: &random) ?? 1,
                memoryBytes: Int64.random(in: 64...1024, using: &random) << 20,
                storageBytes: Int64.random(in: 0...10, using: &random) << 30),
            constraints: constraints, target: target)
    }
}
