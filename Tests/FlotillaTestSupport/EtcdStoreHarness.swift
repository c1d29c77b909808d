import FlotillaCore
import FlotillaStore
import Foundation
import Testing

/// Runs the store contract on an ``EtcdClusterStore`` over a real etcd cluster: the suite's shared cluster
/// (``EtcdClusterTrait``), or one of its own (``ownCluster()``) for a test that changes the whole cluster
/// (compaction drops every key's history, so it must not share a cluster with tests that replay history).
/// ``restart()`` closes the store object and makes a new one on the same cluster (a host restart). On a TLS
/// cluster (``EtcdCluster/tls``) the store presents the cluster's client certificate.
public actor EtcdStoreHarness: StoreHarness {
    public nonisolated let supportsRestart = true
    public nonisolated let cluster: EtcdCluster
    private let ownsCluster: Bool
    private var store: EtcdClusterStore?

    public init(cluster: EtcdCluster) {
        self.cluster = cluster
        ownsCluster = false
    }

    private init(owning cluster: EtcdCluster) {
        self.cluster = cluster
        ownsCluster = true
    }

    /// A harness on a new cluster of its own (TLS with client certificates when `tls`), torn down with the harness.
    public static func ownCluster(tls: Bool = false) async throws -> EtcdStoreHarness {
        EtcdStoreHarness(owning: try await EtcdCluster.start(tls: tls))
    }

    public func makeStore() async throws -> any ClusterStore {
        if let store { return store }
        return try open()
    }

    public func restart() async throws -> any ClusterStore {
        try await close()
        return try open()
    }

    public func tearDown() async throws {
        try await close()
        if ownsCluster { await cluster.tearDown() }
    }

    private func open() throws -> EtcdClusterStore {
        let store = try cluster.store()
        self.store = store
        return store
    }

    private func close() async throws {
        let store = self.store
        self.store = nil
        try await store?.close()
    }
}

/// Starts one etcd cluster for a whole suite and tears it down after its last test: tests reach it with
/// ``EtcdCluster/shared()``. Apply with `@Suite(.sharedEtcdCluster)`, or `.sharedEtcdCluster(tls: true)` for a
/// TLS cluster with client certificates.
public struct EtcdClusterTrait: SuiteTrait, TestScoping {
    public var isRecursive: Bool { false }
    /// Whether the cluster speaks TLS only and requires client certificates.
    public var tls = false

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let cluster = try await EtcdCluster.start(tls: tls)
        do {
            try await EtcdCluster.$current.withValue(cluster) { try await function() }
        } catch {
            await cluster.tearDown()
            throw error
        }
        await cluster.tearDown()
    }
}

extension Trait where Self == EtcdClusterTrait {
    /// One real etcd cluster for the suite (see ``EtcdClusterTrait``).
    public static var sharedEtcdCluster: Self { EtcdClusterTrait() }

    /// One real etcd cluster for the suite, TLS only with client certificates when `tls` (see ``EtcdClusterTrait``).
    public static func sharedEtcdCluster(tls: Bool) -> Self { EtcdClusterTrait(tls: tls) }
}

extension Trait where Self == ConditionTrait {
    /// Runs etcd tests when etcd is installed or `FLOTILLA_REQUIRE_REAL=1` (then a missing etcd fails them);
    /// otherwise skips them, saying why.
    public static var etcdAvailable: Self {
        .enabled(
            if: EtcdCluster.testsEnabled,
            "etcd is not installed (\(EtcdCluster.binary)): apt-get install -y etcd-server etcd-client, or set FLOTILLA_REQUIRE_REAL=1 to fail instead of skipping"
        )
    }
}

extension EtcdCluster {
    /// The cluster of the running suite (``EtcdClusterTrait``).
    @TaskLocal public static var current: EtcdCluster?

    /// The suite's shared cluster; fails when the suite has no ``EtcdClusterTrait``.
    public static func shared() throws -> EtcdCluster {
        guard let current else { throw ProcessFailure("no shared etcd cluster: add .sharedEtcdCluster to the suite") }
        return current
    }
}
