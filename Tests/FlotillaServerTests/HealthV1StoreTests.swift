import FlotillaCore
import FlotillaHost
import FlotillaServer
import FlotillaTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// `database` is `connected` only after a real round trip: a store that fails or hangs makes health say so.
@Suite("Surface C: health when the store does not answer")
struct HealthV1StoreTests {
    @Test(
        "a failing store: degraded with an error; a hanging one: degraded after the deadline",
        arguments: [
            (StatusFault.fail, "error: the store is unavailable"),
            (StatusFault.hang, "error: the store did not answer within 2.0 seconds"),
        ])
    func storeDown(fault: StatusFault, expected: String) async throws {
        try await TestHost.withFaultyStatus(fault) { client in
            let started = ContinuousClock.now
            let r = try await client.execute(uri: "/api/v1/health", method: .get) { response in
                (Int(response.status.code), String(buffer: response.body))
            }
            let json = try #require(try JSONSerialization.jsonObject(with: Data(r.1.utf8)) as? [String: Any])
            #expect(r.0 == 200)
            #expect(json["status"] as? String == "degraded")
            #expect(json["database"] as? String == expected)
            #expect(ContinuousClock.now - started < .seconds(10))
        }
    }
}

enum StatusFault: Sendable, CustomStringConvertible {
    case fail, hang
    var description: String { self == .fail ? "fail" : "hang" }
}

/// A store that answers everything through the real one except `status()`.
struct FaultyStatusStore: ClusterStore {
    let base: any ClusterStore
    let fault: StatusFault

    var kind: String { base.kind }
    func get(_ key: String) async throws -> KeyValue? { try await base.get(key) }
    func range(prefix: String) async throws -> RangeResult { try await base.range(prefix: prefix) }
    func put(_ key: String, value: Data, lease: LeaseID?) async throws -> Revision { try await base.put(key, value: value, lease: lease) }
    func delete(_ key: String) async throws -> DeleteResult { try await base.delete(key) }
    func txn(_ compares: [Compare], then: [TxnOp], otherwise: [TxnOp]) async throws -> TxnResult {
        try await base.txn(compares, then: then, otherwise: otherwise)
    }
    func grantLease(ttl: Duration) async throws -> LeaseID { try await base.grantLease(ttl: ttl) }
    func keepAlive(_ lease: LeaseID) async throws -> Duration { try await base.keepAlive(lease) }
    func revokeLease(_ lease: LeaseID) async throws { try await base.revokeLease(lease) }
    func watch(prefix: String, fromRevision: Revision) -> AsyncThrowingStream<WatchBatch, any Error> {
        base.watch(prefix: prefix, fromRevision: fromRevision)
    }
    func compact(revision: Revision) async throws { try await base.compact(revision: revision) }
    func status() async throws -> StoreStatus {
        switch fault {
        case .fail: throw CancellationError()
        case .hang:
            try await Task.sleep(for: .seconds(60))
            return try await base.status()
        }
    }
}

extension TestHost {
    /// A test host's router, built over a store whose `status()` misbehaves.
    static func withFaultyStatus(_ fault: StatusFault, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void)
        async throws
    {
        try await withRouter({ h in
            ServerDependencies(
                store: FaultyStatusStore(base: h.store, fault: fault), registry: h.registry, instances: h.instances,
                keys: h.keys, backends: h.backends, identity: h.identity, version: FlotillaHost.version)
        }) { client, _ in try await body(client) }
    }

    /// A test host whose router is built over dependencies made by `deps` (to vary one of them).
    static func withRouter(
        _ deps: @escaping @Sendable (FlotillaHost) -> ServerDependencies,
        _ body: @escaping @Sendable (any TestClientProtocol, TestHost) async throws -> Void
    ) async throws {
        try await TestHost.with { host in
            let app = Application(router: FlotillaRouter.build(deps(host.host)).0)
            try await app.test(.router) { client in try await body(client, host) }
        }
    }
}
