import FlotillaCore
import Foundation
import Testing

/// The fleet's heartbeat pacing and its detection bound (docs/decisions/0034-heartbeats-at-scale.md).
@Suite struct HeartbeatPlanTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var workers: Int
        var interval: Duration
        var window: TimeInterval
        var testDescription: String { "\(workers) workers: every \(interval), fresh for \(window) s" }
    }

    /// Base 5 s, at most 50 rewrites a second across the fleet (docs/decisions/0035-peer-probes.md), a configured window
    /// of 60 s.
    static let rows: [Row] = [
        Row(workers: 0, interval: .seconds(5), window: 60),
        Row(workers: 1, interval: .seconds(5), window: 60),
        Row(workers: 250, interval: .seconds(5), window: 60),
        Row(workers: 251, interval: .milliseconds(5020), window: 60),
        Row(workers: 1000, interval: .seconds(20), window: 60),
        Row(workers: 4000, interval: .seconds(80), window: 240),
        Row(workers: 10_000, interval: .seconds(200), window: 600),
        Row(workers: 100_000, interval: .seconds(2000), window: 6000),
    ]

    @Test("a fleet rewrites its records at most 50 times a second, each no less often than every 5 s", arguments: rows)
    func pacing(_ row: Row) {
        let plan = HeartbeatPlan()
        #expect(plan.recordInterval(workers: row.workers) == row.interval)
        #expect(plan.healthWindow(configured: 60, workers: row.workers) == row.window)
        // The fleet's rewrites per second stay within the cap.
        let perSecond = Double(row.workers) / (Double(row.interval.components.seconds) + Double(row.interval.components.attoseconds) / 1e18)
        #expect(perSecond <= 50.000_1)
    }

    @Test("a cap of zero writes a second is read as one, and a longer base wins over the pace")
    func limits() {
        #expect(HeartbeatPlan(maxRecordWritesPerSecond: 0).recordInterval(workers: 10) == .seconds(10))
        #expect(HeartbeatPlan(baseInterval: .seconds(30)).recordInterval(workers: 1000) == .seconds(30))
        #expect(HeartbeatPlan(baseInterval: .seconds(30)).healthWindow(configured: 60, workers: 1000) == 60)
    }

    @Test("a fleet its base interval paces keeps the window its operator configured, however short")
    func configuredWindowKept() {
        #expect(HeartbeatPlan().healthWindow(configured: 0.5, workers: 2) == 0.5)
        #expect(HeartbeatPlan().healthWindow(configured: 0.5, workers: 250) == 0.5)
        #expect(HeartbeatPlan().healthWindow(configured: 0.5, workers: 2000) == 120)
    }

    @Test("a dead worker is seen offline within its lease TTL and the store's expiry check: 3.5 s with the default 3 s lease")
    func detection() {
        #expect(HeartbeatPlan.detectedWithin(leaseTTL: .seconds(3)) == .milliseconds(3500))
        #expect(HeartbeatPlan.detectedWithin(leaseTTL: FenceBounds.default.leaseTTL) < .seconds(5))
    }

    @Test("a worker whose record is older than the paced window is not healthy for placement; within it, it is")
    func placementHealth() throws {
        let now = Date(timeIntervalSince1970: 1_000_000)
        var state = RegistryState()
        for i in 0..<10_000 {
            let worker = Worker(
                id: "w\(i)", hostname: "w\(i)", address: "http://w\(i)", capabilities: [.sim],
                capacity: WorkerCapacity(cpuCores: 4, memoryMB: 4096, diskGB: 100, maxInstances: 10), startedAt: now)
            state.workers[worker.id] = Versioned(value: worker, modRevision: 1, createRevision: 1)
        }
        // 10,000 workers rewrite every 200 s: a record 500 s old is still fresh, one 700 s old is not.
        state.heartbeats["w1"] = Versioned(value: Heartbeat(workerId: "w1", at: now - 500), modRevision: 2, createRevision: 2)
        state.heartbeats["w2"] = Versioned(value: Heartbeat(workerId: "w2", at: now - 700), modRevision: 3, createRevision: 3)
        let healthy = Set(state.schedulableWorkers(now: now, healthWindow: 60).filter(\.healthy).map(\.id))
        #expect(healthy == ["w1"])
    }
}
