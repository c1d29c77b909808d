import FlotillaCluster
import FlotillaCore
import FlotillaStore
import FlotillaTestSupport
import Foundation
import Logging
import Synchronization
import Testing

/// A fault wrapper (not a fake) around a real store: while `refusing`, every write of a heartbeat key fails as an
/// unreachable store would, and everything else (lease keep-alives included) reaches the store. It counts what
/// it refused and the keep-alives that went through.
final class HeartbeatWriteFaults: ClusterStore {
    let base: any ClusterStore
    private let state = Mutex<(refusing: Bool, refused: Int, keptAlive: Int)>((false, 0, 0))

    init(_ base: any ClusterStore) { self.base = base }

    var kind: String { base.kind }
    var refusing: Bool {
        get { state.withLock { $0.refusing } }
        set { state.withLock { $0.refusing = newValue } }
    }
    var refused: Int { state.withLock { $0.refused } }
    var keptAlive: Int { state.withLock { $0.keptAlive } }

    private func refuse(_ keys: [String]) throws {
        let refuse = state.withLock { s -> Bool in
            guard s.refusing, keys.contains(where: { $0.hasPrefix(StoreKeys.alive) }) else { return false }
            s.refused += 1
            return true
        }
        if refuse { throw StoreError.unavailable("fault: heartbeat writes are refused") }
    }

    func get(_ key: String) async throws -> KeyValue? { try await base.get(key) }
    func range(prefix: String) async throws -> RangeResult { try await base.range(prefix: prefix) }
    func put(_ key: String, value: Data, lease: LeaseID?) async throws -> Revision {
        try refuse([key])
        return try await base.put(key, value: value, lease: lease)
    }
    func delete(_ key: String) async throws -> DeleteResult { try await base.delete(key) }
    func txn(_ compares: [Compare], then: [TxnOp], otherwise: [TxnOp]) async throws -> TxnResult {
        let written = (then + otherwise).compactMap { op -> String? in
            if case .put(let key, _, _) = op { return key }
            return nil
        }
        try refuse(written)
        return try await base.txn(compares, then: then, otherwise: otherwise)
    }
    func grantLease(ttl: Duration) async throws -> LeaseID { try await base.grantLease(ttl: ttl) }
    func keepAlive(_ lease: LeaseID) async throws -> Duration {
        let ttl = try await base.keepAlive(lease)
        state.withLock { if $0.refusing { $0.keptAlive += 1 } }
        return ttl
    }
    func revokeLease(_ lease: LeaseID) async throws { try await base.revokeLease(lease) }
    func watch(prefix: String, fromRevision: Revision) -> AsyncThrowingStream<WatchBatch, any Error> {
        base.watch(prefix: prefix, fromRevision: fromRevision)
    }
    func compact(revision: Revision) async throws { try await base.compact(revision: revision) }
    func status() async throws -> StoreStatus { try await base.status() }
}

@Suite("Membership and the fence")
struct MembershipFenceTests {
    /// A follower that could not reach this host deleted its heartbeat (`LeaderProbe`); the leader now counts it
    /// offline and reschedules its instances after the grace. Lease keep-alives still pass, but the heartbeat
    /// cannot be written again: the host must fence, not go on running what is about to run elsewhere.
    @Test("a host whose lease renews but whose deleted heartbeat cannot be written again fences itself")
    func keepAliveWithoutHeartbeatFences() async throws {
        try await FixtureStack.with { stack in
            let faults = HeartbeatWriteFaults(try await stack.store(SQLiteStoreHarness()))
            let registry = RegistryCache(store: faults.base)
            try await registry.load()
            let bounds = FenceBounds(
                leaseTTL: .milliseconds(1500), fenceAfter: .seconds(2), fenceStopTimeout: .seconds(1), rescheduleGrace: .seconds(6))
            let session = StoreSession(bounds: bounds)
            let capture = LogCapture()
            let membership = Membership(
                store: faults, identity: HostIdentity(hostId: "w1", address: "http://w1"),
                timings: ClusterTimings(leaseTTL: bounds.leaseTTL), worker: simWorker("w1"), session: session,
                registry: registry, logger: capture.logger(label: "flotilla.membership", level: .debug))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await registry.run() }
                group.addTask { try await membership.run() }
                try await eventually("registered and alive") { registry.read { $0.heartbeats["w1"] != nil } }
                #expect(session.mayAct)

                faults.refusing = true
                let beat = try #require(registry.read { $0.heartbeats["w1"] })
                let deleted = try await faults.base.txn(
                    [.unchanged(StoreKeys.alive("w1"), since: beat.modRevision)], then: [.delete(key: StoreKeys.alive("w1"))],
                    otherwise: [])
                #expect(deleted.succeeded)
                // The positive sign: several keep-alives passed and several heartbeat writes were refused since.
                try await eventually("keep-alives pass, heartbeat writes refused", timeout: .seconds(15)) {
                    faults.keptAlive >= 3 && faults.refused >= 3
                }
                #expect(registry.read { $0.heartbeats["w1"] } == nil, "the heartbeat is still gone")
                try await eventually("fenced: a live lease alone does not keep the host acting", timeout: .seconds(10)) {
                    !session.mayAct
                }

                // Said once, not once per retry: one warning, the retries at debug.
                let failed = capture.all.filter { $0.message == "heartbeat failed; retrying" }
                #expect(failed.count >= 3)
                #expect(failed.filter { $0.level == .warning }.count == 1, "\(failed)")

                // The store takes heartbeats again: the host writes one (and may rejoin once its registry has it).
                faults.refusing = false
                try await eventually("the heartbeat is back") { registry.read { $0.heartbeats["w1"] != nil } }
                try await eventually("the recovery is said once") {
                    capture.all.filter { $0.message == "heartbeat written again" && $0.level == .info }.count == 1
                }
                group.cancelAll()
            }
        }
    }
}
