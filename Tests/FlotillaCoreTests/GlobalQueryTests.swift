import Foundation
import Testing

@testable import FlotillaCore

@Suite("Label selectors, page cursors, cluster events")
struct GlobalQueryTests {
    @Test(
        "label selectors",
        arguments: [
            ("tier=web", ["tier": "web"], true), ("tier=web", ["tier": "db"], false), ("tier!=web", [:], true),
            ("tier!=web", ["tier": "web"], false), ("tier", ["tier": ""], true), ("tier", [:], false), ("!tier", [:], true),
            ("!tier", ["tier": "x"], false), ("a=1,b", ["a": "1", "b": "2"], true), ("a=1,b", ["a": "1"], false), ("", ["x": "y"], true),
        ] as [(String, [String: String], Bool)])
    func selectors(raw: String, labels: [String: String], expected: Bool) throws {
        #expect(try LabelSelector.parse(raw).matches(labels) == expected)
    }

    @Test("malformed selectors are VALIDATION_ERROR", arguments: [",", "=v", "!", "a,,b", "a b=c", "!=x"])
    func badSelectors(raw: String) {
        #expect(throws: FlotillaError.self) { try LabelSelector.parse(raw) }
    }

    @Test("a cursor round-trips; anything else is refused")
    func cursors() throws {
        let c = PageCursor(createdAtMillis: 1_700_000_000_123, id: "3f2b-abc")
        #expect(try PageCursor.decode(c.encoded) == c)
        #expect(!c.encoded.contains("="))
        for bad in ["", "%%%", "djE6eDp5", "djI6MTox", String(repeating: "A", count: 400)] {
            #expect(throws: FlotillaError.self) { try PageCursor.decode(bad) }
        }
    }

    func instance(_ id: String, at ms: Double, state: InstanceState = .running, worker: String? = "w1") -> Instance {
        var i = Instance(
            id: id, name: "n-\(id)", kind: .container, backend: .sim, spec: InstanceSpec(config: InstanceConfig(image: "x")),
            createdAt: Date(timeIntervalSince1970: ms / 1000))
        i.state = state
        i.workerId = worker
        return i
    }

    @Test("pages are oldest first, disjoint and complete; filters apply before paging")
    func paging() {
        var state = RegistryState()
        for (n, id) in ["b", "a", "c", "d", "e"].enumerated() {
            state.instances[id] = Versioned(value: instance(id, at: Double(1000 + (n / 2) * 10)), modRevision: 1, createRevision: 1)
        }
        state.instances["gone"] = Versioned(value: instance("gone", at: 1, state: .deleted), modRevision: 1, createRevision: 1)
        let p1 = InstanceQuery.page(state, filter: InstanceFilter(), after: nil, limit: 2)
        #expect(p1.items.map(\.id) == ["a", "b"])
        let p2 = InstanceQuery.page(state, filter: InstanceFilter(), after: p1.next, limit: 2)
        #expect(p2.items.map(\.id) == ["c", "d"])
        let p3 = InstanceQuery.page(state, filter: InstanceFilter(), after: p2.next, limit: 2)
        #expect(p3.items.map(\.id) == ["e"])
        #expect(p3.next == nil)
        let none = InstanceQuery.page(state, filter: InstanceFilter(host: "w2"), after: nil, limit: 2)
        #expect(none.items.isEmpty && none.next == nil)
    }

    func put(_ key: String, _ value: some Encodable, rev: Revision, version: Int64) throws -> WatchEvent {
        WatchEvent(
            kind: .put, kv: KeyValue(key: key, value: try StoreCodec.encode(value), createRevision: rev, modRevision: rev, version: version)
        )
    }

    @Test("store changes map to lifecycle events; the first change after a resume is instance.updated; keys give none")
    func events() throws {
        var mapper = ClusterEventMapper()
        var i = instance("i1", at: 0, state: .pending, worker: nil)
        #expect(mapper.map(try put(StoreKeys.instance("i1"), i, rev: 5, version: 1))?.kind == .instanceCreated)
        i.workerId = "w1"
        i.state = .creating
        #expect(mapper.map(try put(StoreKeys.instance("i1"), i, rev: 6, version: 2))?.kind == .instancePlaced)
        i.state = .running
        let changed = mapper.map(try put(StoreKeys.instance("i1"), i, rev: 7, version: 3))
        #expect(changed?.kind == .instanceStateChanged)
        #expect(changed?.previousState == .creating)
        var fresh = ClusterEventMapper()
        #expect(fresh.map(try put(StoreKeys.instance("i1"), i, rev: 7, version: 3))?.kind == .instanceUpdated)
        let deleted = mapper.map(
            WatchEvent(
                kind: .delete, kv: KeyValue(key: StoreKeys.instance("i1"), value: Data(), createRevision: 0, modRevision: 8, version: 0)))
        #expect(deleted?.kind == .instanceDeleted)
        #expect(deleted?.instanceId == "i1")
        #expect(mapper.map(try put(StoreKeys.apiKey(hash: "h"), ["x": "y"], rev: 9, version: 1)) == nil)
        let beat = Heartbeat(workerId: "w1", at: Date())
        #expect(mapper.map(try put(StoreKeys.alive("w1"), beat, rev: 10, version: 1))?.kind == .workerJoined)
        #expect(mapper.map(try put(StoreKeys.alive("w1"), beat, rev: 11, version: 2)) == nil)
        let leader = LeaderRecord(hostId: "w1", address: "http://x", since: Date())
        let led = mapper.map(try put(StoreKeys.leader, leader, rev: 12, version: 1))
        #expect(led?.kind == .leaderChanged)
        #expect(led?.term == 12)
    }
}
