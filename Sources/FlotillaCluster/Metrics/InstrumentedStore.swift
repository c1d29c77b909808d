import FlotillaCore
import Foundation
import Tracing

/// The ``ClusterStore`` port with every call counted and timed (`flotilla_store_operations_total`,
/// `flotilla_store_operation_duration_seconds`, `flotilla_store_up`) and traced as a `store.<operation>` span, a
/// child of the request's span when a request makes the call. `watch` passes through: it is a stream, not a call.
/// A cancelled call is traced but not counted (docs/decisions/0021-metrics.md).
public struct InstrumentedStore: ClusterStore {
    public let base: any ClusterStore
    let metrics: ClusterMetrics

    public init(_ base: any ClusterStore, metrics: ClusterMetrics) {
        self.base = base
        self.metrics = metrics
    }

    public var kind: String { base.kind }

    public func get(_ key: String) async throws -> KeyValue? {
        try await call("get") { try await base.get(key) }
    }

    public func range(prefix: String) async throws -> RangeResult {
        try await call("range") { try await base.range(prefix: prefix) }
    }

    @discardableResult
    public func put(_ key: String, value: Data, lease: LeaseID?) async throws -> Revision {
        try await call("put") { try await base.put(key, value: value, lease: lease) }
    }

    @discardableResult
    public func delete(_ key: String) async throws -> DeleteResult {
        try await call("delete") { try await base.delete(key) }
    }

    public func txn(_ compares: [Compare], then: [TxnOp], otherwise: [TxnOp]) async throws -> TxnResult {
        try await call("txn") { try await base.txn(compares, then: then, otherwise: otherwise) }
    }

    public func grantLease(ttl: Duration) async throws -> LeaseID {
        try await call("grant_lease") { try await base.grantLease(ttl: ttl) }
    }

    @discardableResult
    public func keepAlive(_ lease: LeaseID) async throws -> Duration {
        try await call("keep_alive") { try await base.keepAlive(lease) }
    }

    public func revokeLease(_ lease: LeaseID) async throws {
        try await call("revoke_lease") { try await base.revokeLease(lease) }
    }

    public func watch(prefix: String, fromRevision: Revision) -> AsyncThrowingStream<WatchBatch, any Error> {
        base.watch(prefix: prefix, fromRevision: fromRevision)
    }

    public func compact(revision: Revision) async throws {
        try await call("compact") { try await base.compact(revision: revision) }
    }

    public func status() async throws -> StoreStatus {
        try await call("status") { try await base.status() }
    }

    /// One call in a `store.<operation>` span, counted and timed unless cancelled.
    private func call<T: Sendable>(_ operation: String, _ body: @Sendable () async throws -> T) async throws -> T {
        let metrics = self.metrics
        let kind = base.kind
        return try await TraceSampling.withSpan("store.\(operation)", ofKind: .client) { span in
            span.attributes["db.system"] = kind
            guard metrics.isEnabled else { return try await body() }
            let started = ContinuousClock.now
            do {
                let result = try await body()
                metrics.recordStore(operation, error: nil, .now - started)
                return result
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                metrics.recordStore(operation, error: error, .now - started)
                throw error
            }
        }
    }
}
