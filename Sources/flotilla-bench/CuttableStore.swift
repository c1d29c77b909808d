import FlotillaCore
import Foundation
import Synchronization

/// The fleet simulator's kill switch for one simulated worker, a fake that stands for the worker's machine dying:
/// it passes every call through to the real store until ``cut()``, after which every call fails at once and
/// nothing more reaches the store (no lease revoke on the way out: the lease expires as a dead host's would).
final class CuttableStore: ClusterStore {
    let base: any ClusterStore
    private let isCut = Atomic(false)

    init(_ base: any ClusterStore) { self.base = base }

    var kind: String { base.kind }

    /// From now on every call fails.
    func cut() { isCut.store(true, ordering: .sequentiallyConsistent) }
    var wasCut: Bool { isCut.load(ordering: .sequentiallyConsistent) }

    private func check() throws {
        if isCut.load(ordering: .sequentiallyConsistent) { throw StoreError.unavailable("simulated worker killed") }
    }

    func get(_ key: String) async throws -> KeyValue? {
        try check()
        return try await base.get(key)
    }
    func range(prefix: String) async throws -> RangeResult {
        try check()
        return try await base.range(prefix: prefix)
    }
    func put(_ key: String, value: Data, lease: LeaseID?) async throws -> Revision {
        try check()
        return try await base.put(key, value: value, lease: lease)
    }
    func delete(_ key: String) async throws -> DeleteResult {
        try check()
        return try await base.delete(key)
    }
    func txn(_ compares: [Compare], then: [TxnOp], otherwise: [TxnOp]) async throws -> TxnResult {
        try check()
        return try await base.txn(compares, then: then, otherwise: otherwise)
    }
    func grantLease(ttl: Duration) async throws -> LeaseID {
        try check()
        return try await base.grantLease(ttl: ttl)
    }
    func keepAlive(_ lease: LeaseID) async throws -> Duration {
        try check()
        return try await base.keepAlive(lease)
    }
    func revokeLease(_ lease: LeaseID) async throws {
        try check()
        try await base.revokeLease(lease)
    }
    func watch(prefix: String, fromRevision: Revision) -> AsyncThrowingStream<WatchBatch, any Error> {
        if isCut.load(ordering: .sequentiallyConsistent) {
            return AsyncThrowingStream { $0.finish(throwing: StoreError.unavailable("simulated worker killed")) }
        }
        return base.watch(prefix: prefix, fromRevision: fromRevision)
    }
    func compact(revision: Revision) async throws {
        try check()
        try await base.compact(revision: revision)
    }
    func status() async throws -> StoreStatus {
        try check()
        return try await base.status()
    }
}
