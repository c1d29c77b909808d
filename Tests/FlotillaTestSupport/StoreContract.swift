import FlotillaCore
import Foundation
import Testing

/// The behaviour every ``ClusterStore`` must show (etcd v3's semantics), written only against the port so
/// every implementation runs it unchanged. Each test uses its own key prefix, so tests may share a store;
/// revision checks are therefore relative (a shared store may be written by other tests meanwhile), except
/// within one transaction.
public enum StoreContract {
    /// Every behaviour, for a parameterized test.
    public static let allCases: [StoreContractCase] = [
        StoreContractCase("putGetAndRevisions", putGetAndRevisions),
        StoreContractCase("rangeByPrefix", rangeByPrefix),
        StoreContractCase("deleteBumpsRevisionOnlyWhenKeyExisted", deleteBumpsRevisionOnlyWhenKeyExisted),
        StoreContractCase("txnComparesValueVersionCreateMod", txnComparesValueVersionCreateMod),
        StoreContractCase("txnElseBranch", txnElseBranch),
        StoreContractCase("txnWritesShareOneRevision", txnWritesShareOneRevision),
        StoreContractCase("txnAtomicUnderConcurrency", txnAtomicUnderConcurrency),
        StoreContractCase("leaseExpiryDeletesKeysAndEmitsDeleteEvents", leaseExpiryDeletesKeysAndEmitsDeleteEvents),
        StoreContractCase("keepAliveExtendsLease", keepAliveExtendsLease),
        StoreContractCase("revokeDeletesKeys", revokeDeletesKeys),
        StoreContractCase("keepAliveOfExpiredLeaseFails", keepAliveOfExpiredLeaseFails),
        StoreContractCase("watchReplaysFromRevisionInOrder", watchReplaysFromRevisionInOrder),
        StoreContractCase(
            "watchDeliversLiveEventsWithoutGapsUnderConcurrentWriters",
            watchDeliversLiveEventsWithoutGapsUnderConcurrentWriters),
        StoreContractCase("watchResumedAfterRestartMissesNoEvent", watchResumedAfterRestartMissesNoEvent),
        StoreContractCase("dataSurvivesRestart", dataSurvivesRestart),
        StoreContractCase("compactionMakesOldWatchFailWithOldest", compactionMakesOldWatchFailWithOldest),
        StoreContractCase("watchFromNowSeesOnlyNewEvents", watchFromNowSeesOnlyNewEvents),
        StoreContractCase("cancellingWatchStops", cancellingWatchStops),
    ]

    /// Puts create keys at the revision they return; rewrites keep createRevision and count versions; a
    /// key deleted and put again starts over at version 1.
    public static func putGetAndRevisions(_ h: any StoreHarness) async throws {
        let store = try await h.makeStore()
        let p = uniquePrefix("put")
        let before = try await store.status()
        #expect(before.healthy)
        #expect(!before.kind.isEmpty)
        #expect(before.revision >= 1)
        #expect(try await store.get(p + "missing") == nil)

        let r1 = try await store.put(p + "a", value: bytes("one"))
        #expect(r1 > before.revision)
        let a1 = try #require(try await store.get(p + "a"))
        #expect(a1 == KeyValue(key: p + "a", value: bytes("one"), createRevision: r1, modRevision: r1, version: 1))

        let r2 = try await store.put(p + "a", value: bytes("two"))
        #expect(r2 > r1)
        let a2 = try #require(try await store.get(p + "a"))
        #expect(a2 == KeyValue(key: p + "a", value: bytes("two"), createRevision: r1, modRevision: r2, version: 2))

        let empty = try await store.put(p + "empty", value: Data())
        #expect(try await store.get(p + "empty")?.value == Data())
        #expect(try await store.get(p + "empty")?.modRevision == empty)

        let deleted = try await store.delete(p + "a")
        #expect(deleted.deleted)
        #expect(deleted.revision > empty)
        #expect(try await store.get(p + "a") == nil)
        let r3 = try await store.put(p + "a", value: bytes("three"))
        let a3 = try #require(try await store.get(p + "a"))
        #expect(a3 == KeyValue(key: p + "a", value: bytes("three"), createRevision: r3, modRevision: r3, version: 1))
        #expect(try await store.status().revision >= r3)
    }

    /// A prefix selects exactly the keys that start with it, sorted by key, with `%`, `_` and non-ASCII
    /// characters taken literally.
    public static func rangeByPrefix(_ h: any StoreHarness) async throws {
        let store = try await h.makeStore()
        let p = uniquePrefix("range")
        let keys = [
            "a", "a%", "a_b", "a/x", "ab", "b", "a%c", "ax", "b_", "é", "éa", "ü", "a\u{10FFFF}", "%", "_",
        ]
        for key in keys { try await store.put(p + key, value: bytes(key)) }
        try await store.put(String(p.dropLast()), value: bytes("the prefix without its slash"))
        try await store.put(String(p.dropLast()) + "0", value: bytes("a sibling"))

        func keysUnder(_ sub: String) async throws -> [String] {
            try await store.range(prefix: p + sub).kvs.map { String($0.key.dropFirst(p.count)) }
        }
        // Sorted by UTF-8 bytes, as etcd sorts.
        func byteSorted(_ strings: [String]) -> [String] {
            strings.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        }
        #expect(try await keysUnder("") == byteSorted(keys))
        #expect(try await keysUnder("a") == byteSorted(["a", "a%", "a_b", "a/x", "ab", "a%c", "ax", "a\u{10FFFF}"]))
        #expect(try await keysUnder("a%") == ["a%", "a%c"])
        #expect(try await keysUnder("a_") == ["a_b"])
        #expect(try await keysUnder("%") == ["%"])
        #expect(try await keysUnder("_") == ["_"])
        #expect(try await keysUnder("b") == ["b", "b_"])
        #expect(try await keysUnder("é") == ["é", "éa"])
        #expect(try await keysUnder("a\u{10FFFF}") == ["a\u{10FFFF}"])
        #expect(try await keysUnder("zzz") == [])

        let all = try await store.range(prefix: p)
        #expect(all.kvs.allSatisfy { text($0.value) == String($0.key.dropFirst(p.count)) })
        let last = try #require(all.kvs.map(\.modRevision).max())
        #expect(all.revision >= last)
    }

    /// Deleting an existing key creates a revision with a delete event; deleting a missing key changes
    /// nothing and reports `deleted == false`.
    public static func deleteBumpsRevisionOnlyWhenKeyExisted(_ h: any StoreHarness) async throws {
        let store = try await h.makeStore()
        let p = uniquePrefix("delete")
        let put = try await store.put(p + "k", value: bytes("v"))
        let removed = try await store.delete(p + "k")
        #expect(removed.deleted)
        #expect(removed.revision > put)
        let missing = try await store.delete(p + "k")
        #expect(!missing.deleted)
        #expect(missing.revision >= removed.revision)
        let never = try await store.delete(p + "never")
        #expect(!never.deleted)
        let sentinel = try await store.put(p + "sentinel", value: bytes("s"))

        // The history under the prefix: put, one delete, then the sentinel; nothing for the missed deletes.
        let (events, last) = try await collect(store.watch(prefix: p, fromRevision: put), untilKey: p + "sentinel")
        #expect(summary(events) == ["put \(p)k=v", "delete \(p)k"])
        #expect(events.map(\.revision) == [put, removed.revision])
        #expect(events.last?.kv == KeyValue(key: p + "k", value: Data(), createRevision: 0, modRevision: removed.revision, version: 0))
        #expect(last.revision == sentinel)
    }

    /// Each compare target and operator, including the etcd rules for missing keys.
    public static func txnComparesValueVersionCreateMod(_ h: any StoreHarness) async throws {
        let store = try await h.makeStore()
        let p = uniquePrefix("compare")
        let k = p + "k"
        let created = try await store.put(k, value: bytes("b"))
        let modified = try await store.put(k, value: bytes("b"))  // version 2

        func holds(_ compares: Compare...) async throws -> Bool {
            try await store.txn(compares, then: [], otherwise: []).succeeded
        }
        #expect(try await holds(Compare(key: k, target: .value(bytes("b")))))
        #expect(try await !holds(Compare(key: k, target: .value(bytes("c")))))
        #expect(try await holds(Compare(key: k, target: .value(bytes("c")), op: .notEqual)))
        #expect(try await holds(Compare(key: k, target: .value(bytes("c")), op: .less)))
        #expect(try await holds(Compare(key: k, target: .value(bytes("a")), op: .greater)))
        #expect(try await holds(Compare(key: k, target: .version(2))))
        #expect(try await holds(Compare(key: k, target: .version(1), op: .greater)))
        #expect(try await !holds(Compare(key: k, target: .version(2), op: .less)))
        #expect(try await holds(Compare(key: k, target: .createRevision(created))))
        #expect(try await holds(Compare(key: k, target: .createRevision(modified), op: .less)))
        #expect(try await holds(.unchanged(k, since: modified)))
        #expect(try await !holds(.unchanged(k, since: created)))
        #expect(try await holds(Compare(key: k, target: .modRevision(created), op: .greater)))
        #expect(try await holds(.holds(k, bytes("b")), .unchanged(k, since: modified)))
        #expect(try await !holds(.holds(k, bytes("b")), .unchanged(k, since: created)), "all compares must hold")
        // A missing key: version, createRevision and modRevision 0; a value compare is false.
        let m = p + "missing"
        #expect(try await holds(.absent(m)))
        #expect(try await !holds(.absent(k)))
        #expect(try await holds(Compare(key: m, target: .version(0))))
        #expect(try await holds(Compare(key: m, target: .modRevision(0))))
        #expect(try await !holds(Compare(key: m, target: .value(Data()))))
        #expect(try await holds())
    }

    /// A failing compare runs the else branch; a branch that only reads creates no revision; results come
    /// in branch order and reads see the branch's own writes.
    public static func txnElseBranch(_ h: any StoreHarness) async throws {
        let store = try await h.makeStore()
        let p = uniquePrefix("else")
        let r0 = try await store.put(p + "k", value: bytes("v"))

        let readOnly = try await store.txn(
            [.absent(p + "k")], then: [.put(p + "then", bytes("x"))],
            otherwise: [.get(key: p + "k"), .range(prefix: p), .get(key: p + "missing")])
        #expect(!readOnly.succeeded)
        #expect(readOnly.revision >= r0)
        #expect(try await store.get(p + "then") == nil)
        let current = try #require(try await store.get(p + "k"))
        #expect(readOnly.results == [.get(current), .range([current]), .get(nil)])

        let wrote = try await store.txn(
            [.holds(p + "k", bytes("other"))], then: [.delete(key: p + "k")],
            otherwise: [.put(p + "else", bytes("e")), .get(key: p + "else"), .delete(key: p + "nothing")])
        #expect(!wrote.succeeded)
        #expect(wrote.revision > r0)
        let elseKV = KeyValue(key: p + "else", value: bytes("e"), createRevision: wrote.revision, modRevision: wrote.revision, version: 1)
        #expect(wrote.results == [.put, .get(elseKV), .delete(deleted: 0)])
        #expect(try await store.get(p + "else") == elseKV)
        #expect(try await store.get(p + "k")?.modRevision == r0)

        let then = try await store.txn(
            [.holds(p + "k", bytes("v"))], then: [.deletePrefix(p)], otherwise: [.put(p + "no", bytes("no"))])
        #expect(then.succeeded)
        #expect(then.results == [.delete(deleted: 2)])
        #expect(try await store.range(prefix: p).kvs.isEmpty)
    }

    /// Every key one transaction writes carries the same, single new revision, and the history shows them
    /// under that one revision.
    public static func txnWritesShareOneRevision(_ h: any StoreHarness) async throws {
        let store = try await h.makeStore()
        let p = uniquePrefix("onerev")
        let r0 = try await store.put(p + "old", value: bytes("o"))
        let result = try await store.txn(
            [], then: [.put(p + "a", bytes("1")), .put(p + "b", bytes("2")), .delete(key: p + "old")], otherwise: [])
        #expect(result.succeeded)
        #expect(result.revision > r0)
        let kvs = try await store.range(prefix: p).kvs
        #expect(kvs.map(\.key) == [p + "a", p + "b"])
        #expect(kvs.allSatisfy { $0.modRevision == result.revision && $0.createRevision == result.revision })

        try await store.put(p + "sentinel", value: bytes("s"))
        let (events, _) = try await collect(store.watch(prefix: p, fromRevision: r0 + 1), untilKey: p + "sentinel")
        #expect(Set(summary(events)) == ["put \(p)a=1", "put \(p)b=2", "delete \(p)old"])
        #expect(events.allSatisfy { $0.revision == result.revision })
    }

    /// Concurrent compare-and-swap increments of one counter never lose an update.
    public static func txnAtomicUnderConcurrency(_ h: any StoreHarness) async throws {
        let store = try await h.makeStore()
        let key = uniquePrefix("cas") + "counter"
        try await store.put(key, value: bytes("0"))
        let workers = 8
        let incrementsEach = 5
        try await withDeadline(seconds: 30, "concurrent increments") {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<workers {
                    group.addTask {
                        for _ in 0..<incrementsEach {
                            while true {
                                let kv = try #require(try await store.get(key))
                                let next = (Int(text(kv.value) ?? "") ?? -1_000_000) + 1
                                let result = try await store.txn(
                                    [.unchanged(key, since: kv.modRevision)], then: [.put(key, bytes(String(next)))],
                                    otherwise: [])
                                if result.succeeded { break }
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        let final = try #require(try await store.get(key))
        #expect(text(final.value) == String(workers * incrementsEach))
        #expect(final.version == Int64(workers * incrementsEach + 1))
    }
}
