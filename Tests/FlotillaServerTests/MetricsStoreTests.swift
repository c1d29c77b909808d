import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaTestSupport
import Foundation
import Testing

@testable import FlotillaServer

/// Store calls, their errors and the store's health, and open event streams, as `/metrics` renders them (ADR 0021).
@Suite("Metrics: store operations, store health, event streams")
struct MetricsStoreTests {
    static func scrape(_ metrics: HostMetrics, _ state: RegistryState = RegistryState()) throws -> Scrape {
        let bytes = try #require(metrics.render(state, hostId: "h1", now: Date(), healthWindow: 60))
        return Scrape(text: String(decoding: bytes, as: UTF8.self))
    }

    @Test("failed store calls count as outcome=error and the store is down until a call gets an answer again")
    func storeErrors() async throws {
        let metrics = HostMetrics(version: "test")
        let faults = StoreFaults()
        let store = InstrumentedStore(FlakyStore(faults: faults), metrics: metrics.cluster)
        #expect(try await store.get("/k") == nil)
        faults.set(StoreError.unavailable("no member answered"))
        for _ in 0..<3 { await #expect(throws: StoreError.self) { try await store.get("/k") } }
        await #expect(throws: StoreError.self) { try await store.txn([], then: [], otherwise: []) }
        var scrape = try Self.scrape(metrics)
        #expect(scrape.value("flotilla_store_operations_total", ["operation": "get", "outcome": "ok"]) == 1)
        #expect(scrape.value("flotilla_store_operations_total", ["operation": "get", "outcome": "error"]) == 3)
        #expect(scrape.value("flotilla_store_operations_total", ["operation": "txn", "outcome": "error"]) == 1)
        #expect(scrape.value("flotilla_store_operation_duration_seconds_count", ["operation": "get"]) == 4)
        #expect(scrape.value("flotilla_store_up", [:]) == 0)
        // A refusal is an answer: the store is up again, though the call counts as an error.
        faults.set(StoreError.leaseNotFound(LeaseID(7)))
        await #expect(throws: StoreError.self) { try await store.keepAlive(LeaseID(7)) }
        scrape = try Self.scrape(metrics)
        #expect(scrape.value("flotilla_store_operations_total", ["operation": "keep_alive", "outcome": "error"]) == 1)
        #expect(scrape.value("flotilla_store_up", [:]) == 1)
    }

    @Test("a cancelled store call is not counted")
    func cancelled() async throws {
        let metrics = HostMetrics(version: "test")
        let faults = StoreFaults()
        faults.set(CancellationError())
        let store = InstrumentedStore(FlakyStore(faults: faults), metrics: metrics.cluster)
        await #expect(throws: CancellationError.self) { try await store.get("/k") }
        let scrape = try Self.scrape(metrics)
        #expect(scrape.value("flotilla_store_operations_total", ["operation": "get", "outcome": "error"]) == nil)
        #expect(scrape.value("flotilla_store_up", [:]) == 1)
    }

    @Test("metrics off: nothing rendered, nothing recorded")
    func off() async throws {
        let metrics = HostMetrics(enabled: false, version: "test")
        let store = InstrumentedStore(FlakyStore(faults: StoreFaults()), metrics: metrics.cluster)
        _ = try await store.get("/k")
        #expect(metrics.render(RegistryState(), hostId: "h1", now: Date(), healthWindow: 60) == nil)
        #expect(!metrics.cluster.isEnabled)
    }

    @Test("an open /api/v2/events stream counts as a subscriber until it ends")
    func eventStreams() async throws {
        try await TestHost.with { host in
            let metrics = HostMetrics(version: "test")
            let feed = EventFeed(store: host.host.store, registry: host.host.registry, metrics: metrics.cluster)
            #expect(try Self.scrape(metrics).value("flotilla_event_stream_subscribers", [:]) == 0)
            let reader = Task {
                for try await _ in try await feed.events(after: nil, idleEvery: .milliseconds(100)) {}
            }
            try await eventually("one subscriber") {
                try Self.scrape(metrics).value("flotilla_event_stream_subscribers", [:]) == 1
            }
            reader.cancel()
            _ = await reader.result
            try await eventually("no subscriber") {
                try Self.scrape(metrics).value("flotilla_event_stream_subscribers", [:]) == 0
            }
        }
    }
}

/// The error the next calls of a ``FlakyStore`` throw; nil: they answer.
final class StoreFaults: Sendable {
    private let error = LockedBox<(any Error)?>(nil)
    func set(_ error: (any Error)?) { self.error.withLock { $0 = error } }
    func check() throws { if let error = error.value { throw error } }
}

/// A store that answers from nothing (empty reads, revision 1) or throws the set fault.
struct FlakyStore: ClusterStore {
    let faults: StoreFaults
    var kind: String { "flaky" }
    func get(_ key: String) async throws -> KeyValue? {
        try faults.check()
        return nil
    }
    func range(prefix: String) async throws -> RangeResult {
        try faults.check()
        return RangeResult(kvs: [], revision: 1)
    }
    func put(_ key: String, value: Data, lease: LeaseID?) async throws -> Revision {
        try faults.check()
        return 1
    }
    func delete(_ key: String) async throws -> DeleteResult {
        try faults.check()
        return DeleteResult(revision: 1, deleted: false)
    }
    func txn(_ compares: [Compare], then: [TxnOp], otherwise: [TxnOp]) async throws -> TxnResult {
        try faults.check()
        return TxnResult(succeeded: true, revision: 1, results: [])
    }
    func grantLease(ttl: Duration) async throws -> LeaseID {
        try faults.check()
        return LeaseID(1)
    }
    func keepAlive(_ lease: LeaseID) async throws -> Duration {
        try faults.check()
        return .seconds(3)
    }
    func revokeLease(_ lease: LeaseID) async throws { try faults.check() }
    func watch(prefix: String, fromRevision: Revision) -> AsyncThrowingStream<WatchBatch, any Error> {
        AsyncThrowingStream { $0.finish() }
    }
    func compact(revision: Revision) async throws { try faults.check() }
    func status() async throws -> StoreStatus {
        try faults.check()
        return StoreStatus(kind: kind, revision: 1, oldestRevision: 1, healthy: true)
    }
}
