import FlotillaCore
import Foundation
import Testing

/// The behaviour every ``ComputeBackend`` must show, written only against the port so that the sim, docker and
/// kvm backends run it unchanged:
///
/// ```swift
/// @Test(arguments: BackendContract.allCases)
/// func contract(_ check: BackendContract) async throws { try await check.run(MyHarness()) }
/// ```
///
/// Each case creates its own instances (fresh lowercase UUIDs), removes them with `delete(force: true)` at the
/// end, and calls the harness's `tearDown`, also when an expectation fails.
public enum BackendContract: String, CaseIterable, Sendable {
    /// `info` describes the backend and says it can run what the harness creates.
    case info
    /// create, start, stop, start, pause, resume, restart (soft and hard), stop, delete; inspect after each.
    case lifecycle
    /// A graceful stop, a forced stop and a graceful stop with no time to spare all leave it stopped.
    case gracefulAndForcedStop
    /// `delete(force: true)` removes a running instance.
    case deleteRunningWithForce
    /// `delete(force: false)` refuses a running instance and leaves it running.
    case deleteRunningWithoutForceIsRefused
    /// Every operation on an unknown id throws `BackendError.notFound(id)`.
    case unknownIdsAreNotFound
    /// `list` holds the created instances (with their state) and forgets deleted ones.
    case listContainsCreatedInstances
    /// The usage of a running instance has the requested memory limit and no negative figure.
    case usageOfRunningInstance
    /// The usage of an unknown id throws `BackendError.notFound(id)`.
    case usageOfUnknownIdThrows
    /// `update` on a running instance applies live exactly when the backend has `liveResize`.
    case updateResources

    /// Runs this check against a fresh backend from `harness`.
    public func run(_ harness: any BackendHarness) async throws {
        let backend = try await harness.makeBackend()
        let session = BackendContractSession(backend: backend, harness: harness, check: rawValue)
        do {
            try await body(session)
        } catch {
            await session.cleanUp()
            try? await harness.tearDown()
            throw error
        }
        await session.cleanUp()
        try await harness.tearDown()
    }

    private func body(_ s: BackendContractSession) async throws {
        switch self {
        case .info: try await Self.info(s)
        case .lifecycle: try await Self.lifecycle(s)
        case .gracefulAndForcedStop: try await Self.gracefulAndForcedStop(s)
        case .deleteRunningWithForce: try await Self.deleteRunningWithForce(s)
        case .deleteRunningWithoutForceIsRefused: try await Self.deleteRunningWithoutForceIsRefused(s)
        case .unknownIdsAreNotFound: try await Self.unknownIdsAreNotFound(s)
        case .listContainsCreatedInstances: try await Self.listContainsCreatedInstances(s)
        case .usageOfRunningInstance: try await Self.usageOfRunningInstance(s)
        case .usageOfUnknownIdThrows: try await Self.usageOfUnknownIdThrows(s)
        case .updateResources: try await Self.updateResources(s)
        }
    }

    /// Long enough for a real guest to shut down cleanly.
    static let gracefulTimeout: Duration = .seconds(20)

    // MARK: - Checks

    private static func info(_ s: BackendContractSession) async throws {
        let info = await s.backend.info()
        #expect(info.kind == s.backend.kind)
        #expect(info.status == .running, "reason: \(info.reason ?? "none")")
        #expect(!info.version.isEmpty)
        let kind = s.harness.createRequest(id: s.newId(), name: "probe").kind
        #expect(info.supportedKinds.contains(kind), "the backend must support the kind the harness creates")
        #expect(s.backend.kind.supportedKinds.contains(kind))
    }

    private static func lifecycle(_ s: BackendContractSession) async throws {
        let b = s.backend
        let id = try await s.create("lifecycle")
        try await s.expectStopped(id, after: "create")

        try await b.start(id: id)
        try await s.expect(id, .running, after: "start")

        try await s.harness.awaitReady(b, id: id)
        try await b.stop(id: id, force: false, timeout: gracefulTimeout)
        try await s.expectStopped(id, after: "graceful stop")

        try await b.start(id: id)
        try await s.expect(id, .running, after: "second start")
        try await s.harness.awaitReady(b, id: id)

        if b.features.pause {
            try await b.pause(id: id)
            try await s.expect(id, .paused, after: "pause")
            try await b.resume(id: id)
            try await s.expect(id, .running, after: "resume")
        } else {
            await s.expectError(.unsupported, "pause without the pause feature") { try await b.pause(id: id) }
            await s.expectError(.unsupported, "resume without the pause feature") { try await b.resume(id: id) }
            try await s.expect(id, .running, after: "an unsupported pause")
        }

        try await b.restart(id: id, hard: false, timeout: gracefulTimeout)
        try await s.expect(id, .running, after: "restart")
        try await b.restart(id: id, hard: true, timeout: gracefulTimeout)
        try await s.expect(id, .running, after: "hard restart")

        try await b.stop(id: id, force: true, timeout: .zero)
        try await s.expectStopped(id, after: "forced stop")

        try await b.delete(id: id, force: false)
        await s.expectError(.notFound, "inspect after delete") { _ = try await b.inspect(id: id) }
        let listed = try await b.list().map(\.id)
        #expect(!listed.contains(id), "list after delete")
    }

    private static func gracefulAndForcedStop(_ s: BackendContractSession) async throws {
        let b = s.backend
        let id = try await s.create("stop")

        try await b.start(id: id)
        try await s.harness.awaitReady(b, id: id)
        try await b.stop(id: id, force: false, timeout: gracefulTimeout)
        try await s.expectStopped(id, after: "graceful stop")

        try await b.start(id: id)
        try await s.expect(id, .running, after: "start")
        try await b.stop(id: id, force: true, timeout: gracefulTimeout)
        try await s.expectStopped(id, after: "forced stop")

        // A graceful stop with no time to spare still ends with the instance stopped (killed).
        try await b.start(id: id)
        try await s.expect(id, .running, after: "start")
        try await b.stop(id: id, force: false, timeout: .zero)
        try await s.expectStopped(id, after: "graceful stop with a zero timeout")

        // Stopped means startable again.
        try await b.start(id: id)
        try await s.expect(id, .running, after: "start after stops")
    }

    private static func deleteRunningWithForce(_ s: BackendContractSession) async throws {
        let b = s.backend
        let id = try await s.create("force-delete")
        try await b.start(id: id)
        try await s.expect(id, .running, after: "start")
        try await b.delete(id: id, force: true)
        await s.expectError(.notFound, "inspect after a forced delete") { _ = try await b.inspect(id: id) }
        let listed = try await b.list().map(\.id)
        #expect(!listed.contains(id), "list after a forced delete")
    }

    private static func deleteRunningWithoutForceIsRefused(_ s: BackendContractSession) async throws {
        let b = s.backend
        let id = try await s.create("refused-delete")
        try await b.start(id: id)
        let error = await #expect(throws: BackendError.self, "delete(force: false) of a running instance") {
            try await b.delete(id: id, force: false)
        }
        if let error {
            #expect(error.kind == .invalidRequest || error.kind == .failed, "got \(error)")
        }
        try await s.expect(id, .running, after: "a refused delete")
    }

    private static func unknownIdsAreNotFound(_ s: BackendContractSession) async throws {
        let b = s.backend
        let id = s.newId()
        let resources = s.harness.createRequest(id: id, name: "unknown").spec.resources
        await s.expectNotFound(id, "start") { try await b.start(id: id) }
        await s.expectNotFound(id, "graceful stop") { try await b.stop(id: id, force: false, timeout: .seconds(1)) }
        await s.expectNotFound(id, "forced stop") { try await b.stop(id: id, force: true, timeout: .zero) }
        await s.expectNotFound(id, "restart") { try await b.restart(id: id, hard: false, timeout: .seconds(1)) }
        await s.expectNotFound(id, "hard restart") { try await b.restart(id: id, hard: true, timeout: .seconds(1)) }
        if b.features.pause {
            await s.expectNotFound(id, "pause") { try await b.pause(id: id) }
            await s.expectNotFound(id, "resume") { try await b.resume(id: id) }
        }
        await s.expectNotFound(id, "delete") { try await b.delete(id: id, force: false) }
        await s.expectNotFound(id, "forced delete") { try await b.delete(id: id, force: true) }
        await s.expectNotFound(id, "update") { _ = try await b.update(id: id, resources: resources) }
        await s.expectNotFound(id, "inspect") { _ = try await b.inspect(id: id) }
    }

    private static func listContainsCreatedInstances(_ s: BackendContractSession) async throws {
        let b = s.backend
        let first = try await s.create("list-a")
        let second = try await s.create("list-b")
        try await b.start(id: second)

        let listed = Dictionary(try await b.list().map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let a = try #require(listed[first], "list holds \(first)")
        let c = try #require(listed[second], "list holds \(second)")
        #expect(a.lifecycleState == .stopped)
        #expect(c.state == .running)
        let inspected = try await b.inspect(id: first)
        #expect(a == inspected, "list and inspect agree")

        try await b.delete(id: first, force: false)
        let after = try await b.list().map(\.id)
        #expect(!after.contains(first))
        #expect(after.contains(second))
    }

    private static func usageOfRunningInstance(_ s: BackendContractSession) async throws {
        let b = s.backend
        let id = try await s.create("usage")
        let requested = s.harness.createRequest(id: id, name: "usage").spec.resources
        try await b.start(id: id)
        for _ in 0..<2 {
            let usage = try await b.usage(id: id)
            #expect(usage.memoryLimitBytes == requested.memoryBytes)
            #expect(usage.memoryUsedBytes >= 0)
            #expect(usage.memoryUsedBytes <= usage.memoryLimitBytes)
            #expect(usage.cpuPercent >= 0)
            #expect(usage.cpuCores >= 0)
            #expect(usage.storageUsedBytes >= 0)
            #expect(usage.storageTotalBytes >= 0)
            #expect(usage.networkRxBytes >= 0)
            #expect(usage.networkTxBytes >= 0)
        }
    }

    private static func usageOfUnknownIdThrows(_ s: BackendContractSession) async throws {
        let id = s.newId()
        await s.expectNotFound(id, "usage") { _ = try await s.backend.usage(id: id) }
    }

    private static func updateResources(_ s: BackendContractSession) async throws {
        let b = s.backend
        let id = try await s.create("update")
        var resources = s.harness.createRequest(id: id, name: "update").spec.resources
        try await b.start(id: id)
        resources.memoryBytes *= 2
        let applied = try await b.update(id: id, resources: resources)
        #expect(applied == b.features.liveResize, "applied live exactly when the backend has liveResize")
        if applied {
            #expect(try await b.usage(id: id).memoryLimitBytes == resources.memoryBytes)
        }
        try await s.expect(id, .running, after: "update")
    }
}
