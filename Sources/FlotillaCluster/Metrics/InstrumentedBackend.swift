import FlotillaCore
import Foundation
import Tracing

/// The ``ComputeBackend`` port with every call counted and timed (`flotilla_backend_calls_total`,
/// `flotilla_backend_call_duration_seconds`) and traced as a `backend.<kind>.<operation>` span. `inspect` finding
/// nothing is an answer (`ok`): the agent asks that before every create. `followChanges` and `logs` pass through:
/// they run until cancelled. A cancelled call is traced but not counted (docs/decisions/0021-metrics.md).
public struct InstrumentedBackend: ComputeBackend {
    public let base: any ComputeBackend
    let metrics: ClusterMetrics

    public init(_ base: any ComputeBackend, metrics: ClusterMetrics) {
        self.base = base
        self.metrics = metrics
    }

    public var kind: BackendKind { base.kind }
    public var features: BackendFeatures { base.features }

    /// Counted `error` when the backend reports itself unavailable.
    public func info() async -> BackendInfo {
        let metrics = self.metrics
        let kind = base.kind
        let base = self.base
        return await TraceSampling.withSpan("backend.\(kind.rawValue).info", ofKind: .client) { span in
            span.attributes["flotilla.backend"] = kind.rawValue
            let started = ContinuousClock.now
            let info = await base.info()
            if metrics.isEnabled { metrics.recordBackend(kind, "info", ok: info.status == .running, .now - started) }
            return info
        }
    }

    public func create(_ request: BackendCreateRequest) async throws {
        try await call("create") { try await base.create(request) }
    }

    public func start(id: String) async throws {
        try await call("start") { try await base.start(id: id) }
    }

    public func stop(id: String, force: Bool, timeout: Duration) async throws {
        try await call("stop") { try await base.stop(id: id, force: force, timeout: timeout) }
    }

    public func restart(id: String, hard: Bool, timeout: Duration) async throws {
        try await call("restart") { try await base.restart(id: id, hard: hard, timeout: timeout) }
    }

    public func pause(id: String) async throws {
        try await call("pause") { try await base.pause(id: id) }
    }

    public func resume(id: String) async throws {
        try await call("resume") { try await base.resume(id: id) }
    }

    public func delete(id: String, force: Bool) async throws {
        try await call("delete") { try await base.delete(id: id, force: force) }
    }

    public func update(id: String, resources: Resources) async throws -> Bool {
        try await call("update") { try await base.update(id: id, resources: resources) }
    }

    public func inspect(id: String) async throws -> ObservedInstance {
        try await call("inspect", absentIsAnswer: true) { try await base.inspect(id: id) }
    }

    public func usage(id: String) async throws -> InstanceUsage {
        try await call("usage") { try await base.usage(id: id) }
    }

    public func list() async throws -> [ObservedInstance] {
        try await call("list") { try await base.list() }
    }

    public func console(id: String, lines: Int) async throws -> String {
        try await call("console") { try await base.console(id: id, lines: lines) }
    }

    /// Passes through: a followed log runs as long as its reader stays.
    public func logs(id: String, tail: Int, follow: Bool, write: ([UInt8]) async throws -> Void) async throws {
        try await base.logs(id: id, tail: tail, follow: follow, write: write)
    }

    public func followChanges(_ changed: @escaping @Sendable (String) -> Void) async throws {
        try await base.followChanges(changed)
    }

    /// One call in a `backend.<kind>.<operation>` span, counted and timed unless cancelled.
    private func call<T: Sendable>(
        _ operation: String, absentIsAnswer: Bool = false, _ body: @Sendable () async throws -> T
    ) async throws -> T {
        let metrics = self.metrics
        let kind = base.kind
        return try await TraceSampling.withSpan("backend.\(kind.rawValue).\(operation)", ofKind: .client) { span in
            span.attributes["flotilla.backend"] = kind.rawValue
            guard metrics.isEnabled else { return try await body() }
            let started = ContinuousClock.now
            do {
                let result = try await body()
                metrics.recordBackend(kind, operation, ok: true, .now - started)
                return result
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                metrics.recordBackend(kind, operation, ok: absentIsAnswer && Self.isNotFound(error), .now - started)
                throw error
            }
        }
    }

    private static func isNotFound(_ error: any Error) -> Bool {
        if case BackendError.notFound = error { return true }
        return false
    }
}
