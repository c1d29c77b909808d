import FlotillaCore
import Foundation
import Testing

@Suite struct RegistryReducerTests {
    typealias Change = RegistryReducer.Change

    /// Applies each event as its own batch (as a watch delivers one revision at a time).
    @discardableResult
    static func apply(_ events: [WatchEvent], to state: inout RegistryState) -> [Change] {
        events.flatMap { RegistryReducer.apply(WatchBatch(events: [$0]), to: &state) }
    }

    @Test func instancePutUpdateDelete() throws {
        var log = StoreLog()
        var state = RegistryState()
        let key = StoreKeys.instance("a")
        var instance = Fixtures.instance("a")

        #expect(Self.apply([try log.put(key, instance)], to: &state) == [.instance(id: "a")])
        #expect(state.instances["a"] == Versioned(value: instance, modRevision: 1, createRevision: 1))
        #expect(state.revision == 1)

        instance.state = .stopped
        instance.generation = 2
        #expect(Self.apply([try log.put(key, instance)], to: &state) == [.instance(id: "a")])
        #expect(state.instances["a"] == Versioned(value: instance, modRevision: 2, createRevision: 1))

        #expect(Self.apply([log.delete(key)], to: &state) == [.instance(id: "a")])
        #expect(state.instances["a"] == nil)
        #expect(state.revision == 3)
    }

    @Test func namesMapToIdsWithoutAChange() {
        var log = StoreLog()
        var state = RegistryState()
        let changes = Self.apply([log.putRaw(StoreKeys.name("web"), Data("a".utf8))], to: &state)
        #expect(changes.isEmpty)
        #expect(state.names == ["web": "a"])
        Self.apply([log.delete(StoreKeys.name("web"))], to: &state)
        #expect(state.names.isEmpty)
        #expect(state.revision == 2)
    }

    @Test func workerStatusFollowsRegistrationHeartbeatAndDrain() throws {
        var log = StoreLog()
        var state = RegistryState()
        #expect(state.status(ofWorker: "w1") == .offline)

        #expect(Self.apply([try log.put(StoreKeys.worker("w1"), Fixtures.worker("w1"))], to: &state) == [.worker(id: "w1")])
        #expect(state.status(ofWorker: "w1") == .offline, "registered but no heartbeat")

        let beat = Heartbeat(workerId: "w1", at: Fixtures.epoch)
        #expect(Self.apply([try log.put(StoreKeys.alive("w1"), beat)], to: &state) == [.worker(id: "w1")])
        #expect(state.status(ofWorker: "w1") == .active)
        #expect(state.heartbeats["w1"]?.value == beat)

        Self.apply([try log.put(StoreKeys.worker("w1"), Fixtures.worker("w1", admin: .draining))], to: &state)
        #expect(state.status(ofWorker: "w1") == .draining)

        // Lease expiry deletes the heartbeat.
        #expect(Self.apply([log.delete(StoreKeys.alive("w1"))], to: &state) == [.worker(id: "w1")])
        #expect(state.status(ofWorker: "w1") == .offline)
        #expect(state.workers["w1"] != nil, "the registration outlives the host")

        // A heartbeat without a registration is not enough.
        Self.apply([try log.put(StoreKeys.alive("w2"), Heartbeat(workerId: "w2", at: Fixtures.epoch))], to: &state)
        #expect(state.status(ofWorker: "w2") == .offline)
    }

    @Test func leaderPutAndDelete() throws {
        var log = StoreLog()
        var state = RegistryState()
        let record = LeaderRecord(hostId: "h1", address: "http://127.0.0.1:8080", since: Fixtures.epoch)
        #expect(Self.apply([try log.put(StoreKeys.leader, record)], to: &state) == [.leader])
        #expect(state.leader == Versioned(value: record, modRevision: 1, createRevision: 1))
        #expect(Self.apply([log.delete(StoreKeys.leader)], to: &state) == [.leader])
        #expect(state.leader == nil)
    }

    @Test func apiKeysByHash() throws {
        var log = StoreLog()
        var state = RegistryState()
        let key = APIKeyRecord(id: "k1", name: "ci", role: .operator, secretHash: "abc123", createdAt: Fixtures.epoch)
        #expect(Self.apply([try log.put(StoreKeys.apiKey(hash: "abc123"), key)], to: &state) == [.apiKeys])
        #expect(state.apiKeys == ["abc123": key])
        #expect(Self.apply([log.delete(StoreKeys.apiKey(hash: "abc123"))], to: &state) == [.apiKeys])
        #expect(state.apiKeys.isEmpty)
    }

    @Test func flavorsAndImages() throws {
        var log = StoreLog()
        var state = RegistryState()
        let flavor = Flavor.builtIn[0]
        let image = Image.builtIn(createdAt: Fixtures.epoch)[0]
        let changes = Self.apply(
            [try log.put(StoreKeys.flavor(flavor.id), flavor), try log.put(StoreKeys.image(image.id), image)], to: &state)
        #expect(changes == [.catalog, .catalog])
        #expect(state.flavors == [flavor.id: flavor])
        #expect(state.images == [image.id: image])
        Self.apply([log.delete(StoreKeys.flavor(flavor.id)), log.delete(StoreKeys.image(image.id))], to: &state)
        #expect(state.flavors.isEmpty && state.images.isEmpty)
    }

    @Test func keysOutsideTheReducedLayoutAreIgnored() {
        var log = StoreLog()
        var state = RegistryState()
        let changes = Self.apply(
            [log.putRaw(StoreKeys.catalogSeeded, Data("1".utf8)), log.putRaw(StoreKeys.instances, Data("x".utf8))],
            to: &state)
        #expect(changes.isEmpty)
        #expect(state.undecodable.isEmpty)
        #expect(state.revision == 2, "the revision still advances")
    }

    @Test func undecodableRecordIsRecordedThenClearedWhenFixed() throws {
        var log = StoreLog()
        var state = RegistryState()
        let key = StoreKeys.instance("a")
        Self.apply([try log.put(key, Fixtures.instance("a"))], to: &state)

        #expect(Self.apply([log.putRaw(key, Data("{not json".utf8))], to: &state) == [.instance(id: "a")])
        #expect(state.undecodable == [key])
        #expect(state.instances["a"] == nil, "a record the store no longer holds is not kept")

        Self.apply([try log.put(key, Fixtures.instance("a"))], to: &state)
        #expect(state.undecodable.isEmpty)
        #expect(state.instances["a"]?.value == Fixtures.instance("a"))
    }

    @Test func undecodableRecordIsClearedWhenDeleted() {
        var log = StoreLog()
        var state = RegistryState()
        let key = StoreKeys.worker("w1")
        Self.apply([log.putRaw(key, Data("[]".utf8))], to: &state)
        #expect(state.undecodable == [key])
        Self.apply([log.delete(key)], to: &state)
        #expect(state.undecodable.isEmpty, "a deleted key cannot hold an undecodable record")
    }

    @Test func replayedBatchesAreIgnored() throws {
        var log = StoreLog()
        var state = RegistryState()
        let first = WatchBatch(events: [try log.put(StoreKeys.instance("a"), Fixtures.instance("a"))])
        let second = WatchBatch(events: [log.delete(StoreKeys.instance("a"))])
        RegistryReducer.apply(first, to: &state)
        RegistryReducer.apply(second, to: &state)
        let settled = state

        #expect(RegistryReducer.apply(first, to: &state).isEmpty)
        #expect(RegistryReducer.apply(second, to: &state).isEmpty)
        #expect(state == settled)
        #expect(state.instances["a"] == nil, "the replayed put did not resurrect the instance")
    }

    @Test func aBatchOverlappingAppliedRevisionsAppliesOnlyTheNewEvents() throws {
        var log = StoreLog()
        var state = RegistryState()
        let e1 = try log.put(StoreKeys.instance("a"), Fixtures.instance("a"))
        let e2 = try log.put(StoreKeys.instance("b"), Fixtures.instance("b"))
        RegistryReducer.apply(WatchBatch(events: [e1]), to: &state)
        let changes = RegistryReducer.apply(WatchBatch(events: [e1, e2]), to: &state)
        #expect(changes == [.instance(id: "b")])
        #expect(state.revision == 2)
    }

    @Test func eventsOfOneRevisionApplyTogether() throws {
        // A transaction writes several keys at one revision; its events arrive in one batch.
        var state = RegistryState()
        let instance = Fixtures.instance("a", name: "web")
        let events = [
            WatchEvent(
                kind: .put,
                kv: KeyValue(
                    key: StoreKeys.instance("a"), value: try StoreCodec.encode(instance), createRevision: 7, modRevision: 7, version: 1)),
            WatchEvent(
                kind: .put, kv: KeyValue(key: StoreKeys.name("web"), value: Data("a".utf8), createRevision: 7, modRevision: 7, version: 1)),
        ]
        #expect(RegistryReducer.apply(WatchBatch(events: events), to: &state) == [.instance(id: "a")])
        #expect(state.instances["a"]?.value == instance)
        #expect(state.names == ["web": "a"])
        #expect(state.revision == 7)
    }

    /// A realistic history touching every kind of record.
    static func history() throws -> (StoreLog, [WatchEvent]) {
        var log = StoreLog()
        var events: [WatchEvent] = []
        events.append(try log.put(StoreKeys.worker("w1"), Fixtures.worker("w1")))
        events.append(try log.put(StoreKeys.alive("w1"), Heartbeat(workerId: "w1", at: Fixtures.epoch)))
        events.append(try log.put(StoreKeys.leader, LeaderRecord(hostId: "w1", address: "http://w1", since: Fixtures.epoch)))
        events.append(try log.put(StoreKeys.flavor("m1.tiny"), Flavor.builtIn[0]))
        events.append(try log.put(StoreKeys.instance("a"), Fixtures.instance("a", name: "web")))
        events.append(log.putRaw(StoreKeys.name("web"), Data("a".utf8)))
        events.append(try log.put(StoreKeys.instance("b"), Fixtures.instance("b", worker: nil)))
        events.append(log.putRaw(StoreKeys.apiKey(hash: "h"), Data("garbage".utf8)))
        return (log, events)
    }

    @Test func loadEqualsApplyingTheSamePuts() throws {
        let (log, events) = try Self.history()
        var applied = RegistryState()
        RegistryReducer.apply(WatchBatch(events: events), to: &applied)
        let loaded = RegistryReducer.load(log.kvs, revision: log.revision)
        #expect(loaded == applied)
        #expect(loaded.undecodable == [StoreKeys.apiKey(hash: "h")])
    }

    @Test func twoStatesFedTheSameBatchesAreEqual() throws {
        var (log, events) = try Self.history()
        events.append(log.delete(StoreKeys.alive("w1")))
        events.append(try log.put(StoreKeys.instance("b"), Fixtures.instance("b", state: .stopped)))
        events.append(log.delete(StoreKeys.instance("a")))

        var one = RegistryState()
        var two = RegistryState()
        Self.apply(events, to: &one)
        Self.apply(events, to: &two)
        #expect(one == two)

        // Batching does not matter either: one batch for the whole history gives the same state.
        var three = RegistryState()
        RegistryReducer.apply(WatchBatch(events: events), to: &three)
        #expect(three == one)
        #expect(one.revision == log.revision)
    }

    @Test func allocationsSumLivePlacedInstancesOnly() throws {
        var log = StoreLog()
        var state = RegistryState()
        let instances = [
            Fixtures.instance("a", state: .running, worker: "w1", cpu: 1, memoryMB: 512, diskGB: 10),
            Fixtures.instance("b", state: .stopped, worker: "w1", cpu: 2, memoryMB: 1024, diskGB: 0),
            Fixtures.instance("c", state: .deleting, worker: "w1", cpu: 0.5, memoryMB: 256, diskGB: 1),
            Fixtures.instance("d", state: .deleted, worker: "w1", cpu: 8, memoryMB: 8192, diskGB: 50),
            Fixtures.instance("e", state: .pending, worker: nil, cpu: 4, memoryMB: 4096),
            Fixtures.instance("f", state: .running, worker: "w2", cpu: 1, memoryMB: 2048, diskGB: 5),
        ]
        Self.apply(try instances.map { try log.put(StoreKeys.instance($0.id), $0) }, to: &state)
        #expect(
            state.allocations() == [
                "w1": Allocation(cpuCores: 3.5, memoryMB: 1792, diskGB: 11, instances: 3),
                "w2": Allocation(cpuCores: 1, memoryMB: 2048, diskGB: 5, instances: 1),
            ])
        #expect(Set(state.liveInstances.map(\.id)) == ["a", "b", "c", "e", "f"])
    }
}
