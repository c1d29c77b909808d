import FlotillaBackends
import FlotillaCore
import Foundation
import Testing

@Suite struct SimBackendTests {
    static func backend(_ configuration: SimBackend.Configuration = SimBackend.Configuration()) -> SimBackend {
        SimBackend(configuration: configuration)
    }

    /// A backend holding one instance `i-1` brought into `state`.
    static func backend(
        with state: Setup, configuration: SimBackend.Configuration = SimBackend.Configuration()
    ) async throws -> SimBackend {
        let sim = backend(configuration)
        try await sim.create(SimFixtures.request(id: "i-1"))
        switch state {
        case .created: break
        case .running: try await sim.start(id: "i-1")
        case .paused:
            try await sim.start(id: "i-1")
            try await sim.pause(id: "i-1")
        case .stopped:
            try await sim.start(id: "i-1")
            try await sim.stop(id: "i-1", force: false, timeout: .seconds(1))
        case .crashed:
            try await sim.start(id: "i-1")
            try await sim.crash(id: "i-1", exitCode: 139)
        }
        return sim
    }

    enum Setup: String, Sendable, CaseIterable { case created, running, paused, stopped, crashed }

    @Test func identity() async {
        let sim = Self.backend()
        #expect(sim.kind == .sim)
        #expect(sim.features == BackendFeatures(pause: true, liveResize: true))
        let info = await sim.info()
        #expect(info.kind == .sim)
        #expect(info.version == "flotilla-sim-1")
        #expect(info.apiVersion == "1")
        #expect(info.status == .running)
        #expect(info.capabilities == ["containers", "vms", "pause", "live-resize"])
        #expect(info.supportedKinds == [.vm, .container])
        #expect(info.reason == nil)
    }

    // MARK: - Lifecycle rules

    enum Call: String, Sendable, CaseIterable {
        case start, gracefulStop, forcedStop, restart, pause, resume, delete, forcedDelete

        func perform(on sim: SimBackend, id: String) async throws {
            switch self {
            case .start: try await sim.start(id: id)
            case .gracefulStop: try await sim.stop(id: id, force: false, timeout: .seconds(1))
            case .forcedStop: try await sim.stop(id: id, force: true, timeout: .seconds(1))
            case .restart: try await sim.restart(id: id, hard: false, timeout: .seconds(1))
            case .pause: try await sim.pause(id: id)
            case .resume: try await sim.resume(id: id)
            case .delete: try await sim.delete(id: id, force: false)
            case .forcedDelete: try await sim.delete(id: id, force: true)
            }
        }
    }

    enum Expected: Sendable, Equatable {
        /// The call succeeds and inspect then reports this state (nil: the instance is gone).
        case becomes(ObservedInstance.State?)
        /// The call throws `invalidRequest` whose message contains this text, and nothing changes.
        case refused(String)
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var setup: Setup
        var call: Call
        var expected: Expected
        init(_ setup: Setup, _ call: Call, _ expected: Expected) {
            self.setup = setup
            self.call = call
            self.expected = expected
        }
        var testDescription: String { "\(call.rawValue) when \(setup.rawValue)" }
    }

    /// Every call from every state the sim can hold.
    static let rules: [Row] = [
        Row(.created, .start, .becomes(.running)),
        Row(.created, .gracefulStop, .becomes(.created)),
        Row(.created, .forcedStop, .becomes(.created)),
        Row(.created, .restart, .refused("is created; start it instead")),
        Row(.created, .pause, .refused("only a running instance can be paused")),
        Row(.created, .resume, .refused("not paused")),
        Row(.created, .delete, .becomes(nil)),
        Row(.created, .forcedDelete, .becomes(nil)),

        Row(.running, .start, .refused("is already running")),
        Row(.running, .gracefulStop, .becomes(.stopped)),
        Row(.running, .forcedStop, .becomes(.stopped)),
        Row(.running, .restart, .becomes(.running)),
        Row(.running, .pause, .becomes(.paused)),
        Row(.running, .resume, .refused("not paused")),
        Row(.running, .delete, .refused("is running; stop it first or delete with force")),
        Row(.running, .forcedDelete, .becomes(nil)),

        Row(.paused, .start, .refused("is paused; resume it instead")),
        Row(.paused, .gracefulStop, .becomes(.stopped)),
        Row(.paused, .forcedStop, .becomes(.stopped)),
        Row(.paused, .restart, .refused("is paused; resume it before restarting")),
        Row(.paused, .pause, .refused("is already paused")),
        Row(.paused, .resume, .becomes(.running)),
        Row(.paused, .delete, .refused("is running; stop it first or delete with force")),
        Row(.paused, .forcedDelete, .becomes(nil)),

        Row(.stopped, .start, .becomes(.running)),
        Row(.stopped, .gracefulStop, .becomes(.stopped)),
        Row(.stopped, .forcedStop, .becomes(.stopped)),
        Row(.stopped, .restart, .refused("is stopped; start it instead")),
        Row(.stopped, .pause, .refused("only a running instance can be paused")),
        Row(.stopped, .resume, .refused("not paused")),
        Row(.stopped, .delete, .becomes(nil)),
        Row(.stopped, .forcedDelete, .becomes(nil)),

        Row(.crashed, .start, .becomes(.running)),
        Row(.crashed, .gracefulStop, .becomes(.error)),
        Row(.crashed, .forcedStop, .becomes(.error)),
        Row(.crashed, .restart, .refused("is error; start it instead")),
        Row(.crashed, .pause, .refused("only a running instance can be paused")),
        Row(.crashed, .resume, .refused("not paused")),
        Row(.crashed, .delete, .becomes(nil)),
        Row(.crashed, .forcedDelete, .becomes(nil)),
    ]

    @Test func rulesCoverEveryCallInEveryState() {
        #expect(Self.rules.count == Setup.allCases.count * Call.allCases.count)
        #expect(Set(Self.rules.map(\.testDescription)).count == Self.rules.count)
    }

    @Test(arguments: rules)
    func lifecycleRule(_ row: Row) async throws {
        let sim = try await Self.backend(with: row.setup)
        let before = try await sim.inspect(id: "i-1")
        switch row.expected {
        case .becomes(let state):
            try await row.call.perform(on: sim, id: "i-1")
            if let state {
                #expect(try await sim.inspect(id: "i-1").state == state)
            } else {
                await #expect(throws: BackendError.notFound("i-1")) { try await sim.inspect(id: "i-1") }
                #expect(try await sim.list().isEmpty)
            }
        case .refused(let text):
            let error = await #expect(throws: BackendError.self) { try await row.call.perform(on: sim, id: "i-1") }
            guard case .invalidRequest(let message) = error else {
                Issue.record("expected invalidRequest, got \(String(describing: error))")
                return
            }
            #expect(message.contains(text), "message: \(message)")
            #expect(message.contains("i-1"), "the message names the instance")
            #expect(try await sim.inspect(id: "i-1") == before, "a refused call changes nothing")
        }
    }

    @Test func createRefusesDuplicatesAndBadResources() async throws {
        let sim = Self.backend()
        try await sim.create(SimFixtures.request(id: "i-1", name: "web"))
        await #expect(throws: BackendError.invalidRequest("instance i-1 already exists")) {
            try await sim.create(SimFixtures.request(id: "i-1", name: "other"))
        }
        await #expect(throws: BackendError.invalidRequest("the name web is already used by instance i-1")) {
            try await sim.create(SimFixtures.request(id: "i-2", name: "web"))
        }
        for bad in [Resources(cpuCores: 0), Resources(memoryBytes: 0), Resources(storageBytes: -1)] {
            let error = await #expect(throws: BackendError.self) {
                try await sim.create(SimFixtures.request(id: "i-3", resources: bad))
            }
            if case .invalidRequest = error {} else { Issue.record("expected invalidRequest, got \(String(describing: error))") }
        }
        #expect(try await sim.list().map(\.id) == ["i-1"])
    }

    @Test func stopOutcomesCarryExitCodes() async throws {
        let sim = try await Self.backend(with: .running)
        try await sim.stop(id: "i-1", force: false, timeout: .seconds(5))
        var observed = try await sim.inspect(id: "i-1")
        #expect(observed.exitCode == 0)
        #expect(observed.description == "exited with code 0")

        try await sim.start(id: "i-1")
        observed = try await sim.inspect(id: "i-1")
        #expect(observed.exitCode == nil && observed.description == nil, "a start clears the last exit")

        try await sim.stop(id: "i-1", force: true, timeout: .seconds(5))
        observed = try await sim.inspect(id: "i-1")
        #expect(observed.state == .stopped)
        #expect(observed.exitCode == 137)
    }

    @Test func updateIsLiveOnlyForARunningInstance() async throws {
        let sim = try await Self.backend(with: .created)
        let bigger = Resources(cpuCores: 4, memoryBytes: 1 << 30, storageBytes: 2 << 30)
        #expect(try await sim.update(id: "i-1", resources: bigger) == false, "a stopped instance takes them on next start")
        try await sim.start(id: "i-1")
        let usage = try await sim.usage(id: "i-1")
        #expect(usage.memoryLimitBytes == 1 << 30)
        #expect(usage.cpuCores == 4)
        #expect(usage.storageTotalBytes == 2 << 30)

        let smaller = Resources(cpuCores: 1, memoryBytes: 128 << 20, storageBytes: 1 << 20)
        #expect(try await sim.update(id: "i-1", resources: smaller) == true)
        let after = try await sim.usage(id: "i-1")
        #expect(after.memoryLimitBytes == 128 << 20)
        #expect(after.storageUsedBytes <= after.storageTotalBytes, "a shrunk disk never reports more used than its size")
        await #expect(throws: BackendError.self) { _ = try await sim.update(id: "i-1", resources: Resources(cpuCores: -1)) }
    }

    @Test func listHoldsEveryInstanceSortedById() async throws {
        let sim = Self.backend()
        for id in ["c", "a", "b"] { try await sim.create(SimFixtures.request(id: id)) }
        try await sim.start(id: "b")
        #expect(
            try await sim.list() == [
                ObservedInstance(id: "a", state: .created), ObservedInstance(id: "b", state: .running),
                ObservedInstance(id: "c", state: .created),
            ])
    }

    @Test func unavailableBackendRefusesEverything() async throws {
        let sim = try await Self.backend(with: .running)
        await sim.setUnavailable("maintenance")
        let info = await sim.info()
        #expect(info.status == .unavailable)
        #expect(info.reason == "maintenance")
        await #expect(throws: BackendError.unavailable("maintenance")) { try await sim.inspect(id: "i-1") }
        await #expect(throws: BackendError.unavailable("maintenance")) { try await sim.list() }
        await sim.setUnavailable(nil)
        #expect(try await sim.inspect(id: "i-1").state == .running, "instances survive an outage")
    }

    // MARK: - Latency

    @Test func latencyIsHonoured() async throws {
        let sim = try await Self.backend(
            with: .created, configuration: SimBackend.Configuration(latency: [.start: .milliseconds(200)]))
        let clock = ContinuousClock()
        let elapsed = try await clock.measure { try await sim.start(id: "i-1") }
        #expect(elapsed >= .milliseconds(200))
        #expect(try await sim.inspect(id: "i-1").state == .running)
    }

    @Test func defaultLatencyAppliesToOperationsWithoutTheirOwn() async throws {
        let sim = Self.backend(SimBackend.Configuration(defaultLatency: .milliseconds(200), latency: [.create: .zero]))
        try await sim.create(SimFixtures.request(id: "i-1"))
        let elapsed = try await ContinuousClock().measure { _ = try await sim.inspect(id: "i-1") }
        #expect(elapsed >= .milliseconds(200))
    }

    @Test func gracefulStopTakesTheShutdownTimeThenExitsCleanly() async throws {
        let sim = try await Self.backend(
            with: .running, configuration: SimBackend.Configuration(latency: [.stop: .milliseconds(200)]))
        let elapsed = try await ContinuousClock().measure {
            try await sim.stop(id: "i-1", force: false, timeout: .seconds(30))
        }
        #expect(elapsed >= .milliseconds(200))
        #expect(try await sim.inspect(id: "i-1").exitCode == 0)
    }

    @Test func gracefulStopPastItsTimeoutKills() async throws {
        let sim = try await Self.backend(
            with: .running, configuration: SimBackend.Configuration(latency: [.stop: .seconds(3600)]))
        // The shutdown would take an hour; the timeout cuts it at 50 ms and kills the instance.
        let elapsed = try await ContinuousClock().measure {
            try await sim.stop(id: "i-1", force: false, timeout: .milliseconds(50))
        }
        #expect(elapsed >= .milliseconds(50))
        let observed = try await sim.inspect(id: "i-1")
        #expect(observed.state == .stopped)
        #expect(observed.exitCode == 137)
        #expect(observed.description?.contains("timeout") == true)
    }

    @Test func forcedStopDoesNotWaitForAShutdown() async throws {
        let sim = try await Self.backend(
            with: .running, configuration: SimBackend.Configuration(latency: [.stop: .seconds(3600)]))
        // Completes at all (a graceful stop would wait an hour), and kills.
        try await sim.stop(id: "i-1", force: true, timeout: .seconds(3600))
        #expect(try await sim.inspect(id: "i-1").exitCode == 137)
    }

    @Test func cancellingASlowCallLeavesTheInstanceUnchanged() async throws {
        let sim = try await Self.backend(
            with: .created, configuration: SimBackend.Configuration(latency: [.start: .seconds(3600)]))
        let task = Task { try await sim.start(id: "i-1") }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(try await sim.inspect(id: "i-1").state == .created)
    }

    // MARK: - Failure injection

    @Test func failNextFailsExactlyTheNextCallOfThatOperation() async throws {
        let sim = try await Self.backend(with: .created)
        await sim.failNext(.start, with: .failed("boom"))
        // Other operations are not affected.
        #expect(try await sim.inspect(id: "i-1").state == .created)
        await #expect(throws: BackendError.failed("boom")) { try await sim.start(id: "i-1") }
        #expect(try await sim.inspect(id: "i-1").state == .created, "a failed start changes nothing")
        try await sim.start(id: "i-1")
        #expect(try await sim.inspect(id: "i-1").state == .running)
    }

    @Test func failuresQueueInOrder() async throws {
        let sim = try await Self.backend(with: .running)
        await sim.failNext(.usage, with: .unavailable("one"))
        await sim.failNext(.usage, with: .failed("two"))
        await #expect(throws: BackendError.unavailable("one")) { try await sim.usage(id: "i-1") }
        await #expect(throws: BackendError.failed("two")) { try await sim.usage(id: "i-1") }
        _ = try await sim.usage(id: "i-1")
    }

    @Test func failuresCanBeScheduledInTheConfiguration() async throws {
        let sim = Self.backend(SimBackend.Configuration(failures: [.create: [.invalidRequest("no capacity")]]))
        await #expect(throws: BackendError.invalidRequest("no capacity")) {
            try await sim.create(SimFixtures.request(id: "i-1"))
        }
        try await sim.create(SimFixtures.request(id: "i-1"))
        #expect(try await sim.list().map(\.id) == ["i-1"])
    }

    @Test(arguments: [(Int32(139), ObservedInstance.State.error), (137, .error), (0, .stopped)])
    func crashIsObservedWithItsExitCode(_ code: Int32, _ state: ObservedInstance.State) async throws {
        let sim = try await Self.backend(with: .running)
        try await sim.crash(id: "i-1", exitCode: code)
        let observed = try await sim.inspect(id: "i-1")
        #expect(observed.state == state)
        #expect(observed.exitCode == code)
        #expect(observed.description == "exited with code \(code)")
        #expect(try await sim.usage(id: "i-1").cpuPercent == 0)
        // A crashed instance can be started again.
        try await sim.start(id: "i-1")
        #expect(try await sim.inspect(id: "i-1").state == .running)
    }

    @Test func onlyARunningInstanceCanCrash() async throws {
        let sim = try await Self.backend(with: .created)
        await #expect(throws: BackendError.self) { try await sim.crash(id: "i-1", exitCode: 1) }
        await #expect(throws: BackendError.notFound("nope")) { try await sim.crash(id: "nope", exitCode: 1) }
    }

    // MARK: - Usage

    @Test func usageMovesAndStaysInBounds() async throws {
        let sim = try await Self.backend(with: .running)
        let limit = SimFixtures.resources.memoryBytes
        let cores = SimFixtures.resources.cpuCores
        var previous = try await sim.usage(id: "i-1")
        var cpuValues: Set<Double> = [previous.cpuPercent]
        for _ in 0..<500 {
            let usage = try await sim.usage(id: "i-1")
            #expect(usage != previous, "two reads of a running instance differ")
            #expect((0...(100 * cores)).contains(usage.cpuPercent))
            #expect(usage.cpuCores == cores)
            #expect(usage.memoryLimitBytes == limit)
            // Between 20% and 90% of the limit (the byte figure is truncated, hence the 1-byte slack).
            #expect(Double(usage.memoryUsedBytes) >= Double(limit) * 0.2 - 1)
            #expect(Double(usage.memoryUsedBytes) <= Double(limit) * 0.9)
            #expect(usage.storageTotalBytes == SimFixtures.resources.storageBytes)
            #expect(usage.storageUsedBytes >= previous.storageUsedBytes, "storage only grows")
            #expect(usage.storageUsedBytes <= usage.storageTotalBytes)
            #expect(usage.networkRxBytes > previous.networkRxBytes)
            #expect(usage.networkTxBytes > previous.networkTxBytes)
            cpuValues.insert(usage.cpuPercent)
            previous = usage
        }
        #expect(cpuValues.count > 100, "cpu wanders")
    }

    @Test func usageWalkIsSmooth() async throws {
        let sim = try await Self.backend(with: .running)
        var previous = try await sim.usage(id: "i-1").cpuPercent
        for _ in 0..<100 {
            let cpu = try await sim.usage(id: "i-1").cpuPercent
            // One step moves at most 8% of the cores.
            #expect(abs(cpu - previous) <= 8 * SimFixtures.resources.cpuCores + 1e-9)
            previous = cpu
        }
    }

    @Test func pausedAndStoppedInstancesUseNoCpu() async throws {
        let fixed = Date(timeIntervalSince1970: 1_700_000_000)
        let sim = try await Self.backend(with: .running, configuration: SimBackend.Configuration(now: { fixed }))
        let running = try await sim.usage(id: "i-1")

        try await sim.pause(id: "i-1")
        let paused = try await sim.usage(id: "i-1")
        #expect(paused.cpuPercent == 0)
        #expect(paused.memoryUsedBytes == running.memoryUsedBytes, "a paused instance keeps its memory")
        #expect(paused.networkRxBytes == running.networkRxBytes)
        #expect(try await sim.usage(id: "i-1") == paused, "nothing moves while paused")

        try await sim.stop(id: "i-1", force: false, timeout: .seconds(1))
        let stopped = try await sim.usage(id: "i-1")
        #expect(stopped.cpuPercent == 0)
        #expect(stopped.memoryUsedBytes == 0)
        #expect(stopped.memoryLimitBytes == SimFixtures.resources.memoryBytes)
        #expect(stopped.storageUsedBytes == running.storageUsedBytes, "the disk keeps its data")
        #expect(stopped.networkTxBytes == running.networkTxBytes, "counters stay where they were")
    }

    @Test func createdInstanceReportsAnIdleDisk() async throws {
        let sim = try await Self.backend(with: .created)
        let usage = try await sim.usage(id: "i-1")
        #expect(usage.cpuPercent == 0 && usage.memoryUsedBytes == 0)
        #expect(usage.networkRxBytes == 0 && usage.networkTxBytes == 0)
        #expect(usage.storageUsedBytes > 0 && usage.storageUsedBytes < usage.storageTotalBytes)
    }

    @Test func defaultStorageAppliesWhenTheSpecLeavesItAtZero() async throws {
        let sim = Self.backend(SimBackend.Configuration(defaultStorageBytes: 5 << 30))
        try await sim.create(SimFixtures.request(id: "i-1", resources: Resources(cpuCores: 1, memoryBytes: 64 << 20)))
        #expect(try await sim.usage(id: "i-1").storageTotalBytes == 5 << 30)
    }

    @Test func usageOfAMissingInstanceThrowsNotFound() async {
        await #expect(throws: BackendError.notFound("nope")) { try await Self.backend().usage(id: "nope") }
    }

    @Test func usageIsDeterministicForASeed() async throws {
        let fixed = Date(timeIntervalSince1970: 1_700_000_000)
        func readings(seed: UInt64) async throws -> [InstanceUsage] {
            let sim = try await Self.backend(
                with: .running, configuration: SimBackend.Configuration(seed: seed, now: { fixed }))
            var result: [InstanceUsage] = []
            for _ in 0..<20 { result.append(try await sim.usage(id: "i-1")) }
            return result
        }
        let first = try await readings(seed: 42)
        #expect(try await readings(seed: 42) == first)
        #expect(try await readings(seed: 43) != first)
        #expect(first.allSatisfy { $0.observedAt == fixed })
    }

    @Test func oneInstancesFiguresDoNotDependOnAnother() async throws {
        let fixed = Date(timeIntervalSince1970: 1_700_000_000)
        let configuration = SimBackend.Configuration(now: { fixed })
        let alone = try await Self.backend(with: .running, configuration: configuration)
        let shared = try await Self.backend(with: .running, configuration: configuration)
        try await shared.create(SimFixtures.request(id: "i-2"))
        try await shared.start(id: "i-2")
        for _ in 0..<5 {
            _ = try await shared.usage(id: "i-2")
            #expect(try await shared.usage(id: "i-1") == alone.usage(id: "i-1"))
        }
    }
}
