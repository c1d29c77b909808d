public import Foundation

/// A store revision: a global counter that grows by one with every write transaction.
public typealias Revision = Int64

/// The replicated key-value store every host shares, with etcd v3's semantics.
///
/// - Every write transaction creates exactly one new revision; all keys it writes carry it as `modRevision`.
/// - `txn` evaluates all compares atomically and runs either `then` or `else`.
/// - Keys put with a lease vanish (with delete events) when the lease expires or is revoked.
/// - `watch` delivers every change under a prefix in revision order from `fromRevision` (inclusive),
///   and fails with ``StoreError/compacted(requested:oldest:)`` when that history was compacted away.
///
/// Implementations: `SQLiteClusterStore` (embedded, single host), `EtcdClusterStore` and `PostgresClusterStore`
/// (cluster; docs/decisions/0030-postgresql-store.md). All pass the same contract test suite.
public protocol ClusterStore: Sendable {
    /// A short name of the implementation, e.g. `sqlite` or `etcd`.
    var kind: String { get }

    /// The value of one key, or nil.
    func get(_ key: String) async throws -> KeyValue?

    /// Every key that starts with `prefix`, sorted by key, with the store revision the read reflects.
    func range(prefix: String) async throws -> RangeResult

    /// Puts one key; returns the revision of the write.
    @discardableResult
    func put(_ key: String, value: Data, lease: LeaseID?) async throws -> Revision

    /// Deletes one key; returns the store revision after the call and whether the key existed.
    @discardableResult
    func delete(_ key: String) async throws -> DeleteResult

    /// Atomically: if every compare holds, run `then`, else run `otherwise`.
    func txn(_ compares: [Compare], then: [TxnOp], otherwise: [TxnOp]) async throws -> TxnResult

    /// Grants a lease that expires `ttl` after its grant or last keep-alive.
    func grantLease(ttl: Duration) async throws -> LeaseID

    /// Renews a lease; returns its TTL. Throws ``StoreError/leaseNotFound(_:)`` when it expired.
    @discardableResult
    func keepAlive(_ lease: LeaseID) async throws -> Duration

    /// Revokes a lease, deleting every key attached to it. Revoking an unknown lease is not an error.
    func revokeLease(_ lease: LeaseID) async throws

    /// Every change under `prefix` with revision >= `fromRevision`, in revision order, batched by revision.
    /// The stream ends with an error when the history is compacted or the store fails; cancel the consuming
    /// task to stop watching.
    func watch(prefix: String, fromRevision: Revision) -> AsyncThrowingStream<WatchBatch, any Error>

    /// Drops history older than `revision`; watches from before it fail with `compacted`.
    func compact(revision: Revision) async throws

    /// Current revision and health.
    func status() async throws -> StoreStatus
}

extension ClusterStore {
    @discardableResult
    public func put(_ key: String, value: Data) async throws -> Revision {
        try await put(key, value: value, lease: nil)
    }
}
