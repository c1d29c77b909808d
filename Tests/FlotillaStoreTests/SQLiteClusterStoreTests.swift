import FlotillaCore
import FlotillaTestSupport
import Foundation
import GRDB
import Testing

@testable import FlotillaStore

/// Behaviour specific to the SQLite store: exact revision arithmetic on a private store, durability
/// settings, lazy lease expiry with a manual clock, and watcher bookkeeping.
@Suite("SQLite store", .timeLimit(.minutes(1)))
struct SQLiteClusterStoreTests {
    /// A fresh store in a temporary directory, removed afterwards.
    private func withStore(
        synchronous: SQLiteClusterStore.Synchronous = .normal, clock: ManualWallClock? = nil,
        _ body: (String, SQLiteClusterStore) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-sqlite-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("store.sqlite").path
        let store = try open(path, synchronous: synchronous, clock: clock)
        do {
            try await body(path, store)
        } catch {
            try? store.close()
            throw error
        }
        try? store.close()
    }

    private func open(
        _ path: String, synchronous: SQLiteClusterStore.Synchronous = .normal, clock: ManualWallClock? = nil
    ) throws -> SQLiteClusterStore {
        if let clock { return try SQLiteClusterStore(path: path, synchronous: synchronous, now: clock.milliseconds) }
        return try SQLiteClusterStore(path: path, synchronous: synchronous)
    }

    @Test func emptyStoreStartsAtRevisionOneAndEachWriteAddsExactlyOne() async throws {
        try await withStore { _, store in
            let status = try await store.status()
            #expect(status == StoreStatus(kind: "sqlite", revision: 1, oldestRevision: 1, healthy: true, details: status.details))
            #expect(try await store.put("a", value: Data("1".utf8)) == 2)
            #expect(try await store.put("a", value: Data("2".utf8)) == 3)
            #expect(try await store.delete("missing") == DeleteResult(revision: 3, deleted: false))
            #expect(try await store.delete("a") == DeleteResult(revision: 4, deleted: true))
            let readOnly = try await store.txn([], then: [.get(key: "a"), .range(prefix: "")], otherwise: [])
            #expect(readOnly.revision == 4)
            let failedWrite = try await store.txn([.absent("nope")], then: [], otherwise: [.delete(key: "nothing")])
            #expect(failedWrite.revision == 4)
            let twoKeys = try await store.txn([], then: [.put("x", Data()), .put("y", Data())], otherwise: [])
            #expect(twoKeys.revision == 5)
            let lease = try await store.grantLease(ttl: .seconds(30))
            try await store.revokeLease(lease)  // no keys: no revision
            #expect(try await store.status().revision == 5)
            #expect(try await store.txn([], then: [.deletePrefix("")], otherwise: []).revision == 6)
            #expect(try await store.range(prefix: "").kvs.isEmpty)
        }
    }

    @Test func reopeningTheFileKeepsTheRevisionCounterAndLeaseIDs() async throws {
        try await withStore { path, store in
            for i in 0..<3 { try await store.put("k\(i)", value: Data()) }
            let lease = try await store.grantLease(ttl: .seconds(30))
            try store.close()
            let reopened = try open(path)
            defer { try? reopened.close() }
            #expect(try await reopened.status().revision == 4)
            #expect(try await reopened.put("k3", value: Data()) == 5)
            #expect(try await reopened.grantLease(ttl: .seconds(30)).rawValue > lease.rawValue)
            #expect(try await reopened.range(prefix: "k").kvs.count == 4)
        }
    }

    @Test(arguments: [(SQLiteClusterStore.Synchronous.full, 2), (.normal, 1)])
    func synchronousModeIsHonoured(_ mode: SQLiteClusterStore.Synchronous, pragma: Int) async throws {
        try await withStore(synchronous: mode) { _, store in
            // Writes go through the writer connection; check it, and a reader, since both run the pragma.
            let written = try await store.pool.write { try Int.fetchOne($0, sql: "PRAGMA synchronous") }
            let read = try await store.pool.read { try Int.fetchOne($0, sql: "PRAGMA synchronous") }
            let journal = try await store.pool.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
            #expect(written == pragma)
            #expect(read == pragma)
            #expect(journal == "wal")
        }
    }

    @Test func keepAliveOfAnExpiredLeaseReapsItsKeysInOneRevision() async throws {
        let clock = ManualWallClock()
        try await withStore(clock: clock) { _, store in
            let lease = try await store.grantLease(ttl: .seconds(5))
            try await store.put("a", value: Data(), lease: lease)
            let last = try await store.put("b", value: Data(), lease: lease)
            clock.advance(by: 4)
            #expect(try await store.keepAlive(lease) == .seconds(5))
            clock.advance(by: 6)  // 6 s after the keep-alive: expired, but nothing has reaped it yet
            #expect(try await store.get("a") != nil)
            await #expect(throws: StoreError.leaseNotFound(lease)) { try await store.keepAlive(lease) }
            #expect(try await store.range(prefix: "").kvs.isEmpty)
            #expect(try await store.status().revision == last + 1)
            await #expect(throws: StoreError.leaseNotFound(lease)) { try await store.put("c", value: Data(), lease: lease) }
        }
    }

    @Test func expireLeasesReapsOnlyExpiredLeases() async throws {
        let clock = ManualWallClock()
        try await withStore(clock: clock) { _, store in
            let short = try await store.grantLease(ttl: .seconds(1))
            let long = try await store.grantLease(ttl: .seconds(60))
            try await store.put("short", value: Data(), lease: short)
            try await store.put("long", value: Data(), lease: long)
            #expect(try await store.expireLeases() == [])
            clock.advance(by: 2)
            #expect(try await store.expireLeases() == [short])
            #expect(try await store.range(prefix: "").kvs.map(\.key) == ["long"])
        }
    }

    @Test func leaseExpiryIsAbsoluteAcrossRestarts() async throws {
        let clock = ManualWallClock()
        try await withStore(clock: clock) { path, store in
            let lease = try await store.grantLease(ttl: .seconds(10))
            try await store.put("k", value: Data(), lease: lease)
            try store.close()
            clock.advance(by: 11)  // the host was down longer than the TTL
            let reopened = try open(path, clock: clock)
            defer { try? reopened.close() }
            #expect(try await reopened.expireLeases() == [lease])
            #expect(try await reopened.get("k") == nil)
        }
    }

    @Test func cancelledAndDroppedWatchesUnregister() async throws {
        try await withStore { _, store in
            let consumer = Task {
                for try await _ in store.watch(prefix: "", fromRevision: 0) {}
            }
            try await StoreContract.waitUntil("the watch registers") { store.activeWatchCount == 1 }
            consumer.cancel()
            _ = await consumer.result
            #expect(store.activeWatchCount == 0)

            do {
                let stream = store.watch(prefix: "", fromRevision: 1)
                #expect(store.activeWatchCount == 1)
                _ = stream
            }
            #expect(store.activeWatchCount == 0, "a stream dropped unread unregisters")
        }
    }

    @Test func closingTheStoreEndsWatchesWithUnavailable() async throws {
        try await withStore { _, store in
            let stream = store.watch(prefix: "", fromRevision: 0)
            let consumer = Task {
                for try await _ in stream {}
            }
            try await StoreContract.waitUntil("the watch registers") { store.activeWatchCount == 1 }
            try store.close()
            let result = await consumer.result
            #expect(throws: StoreError.self) { try result.get() }
        }
    }

    /// Nothing is buffered per watcher: an unread watch does not slow writers, and reads everything later.
    @Test func aSlowConsumerDoesNotBlockWritersAndMissesNothing() async throws {
        try await withStore { _, store in
            let stream = store.watch(prefix: "slow/", fromRevision: 0)
            let writes = 2000
            for i in 0..<writes { try await store.put("slow/k\(i % 10)", value: Data(String(i).utf8)) }
            let events = try await StoreContract.collect(stream, "the backlog") { $0.count >= writes }
            #expect(events.map { String(decoding: $0.kv.value, as: UTF8.self) } == (0..<writes).map(String.init))
        }
    }

    @Test func aBranchThatPutsOneKeyTwiceIsInvalid() async throws {
        try await withStore { _, store in
            await #expect(throws: StoreError.self) {
                try await store.txn([], then: [.put("a", Data()), .put("a", Data())], otherwise: [])
            }
            await #expect(throws: StoreError.self) {
                try await store.txn([], then: [.deletePrefix("a"), .put("ab", Data())], otherwise: [])
            }
            let revision = try await store.status().revision
            #expect(revision == 1)
        }
    }

    @Test("writes that arrive together commit together: each its own revision, compares see the ones before, a throw undoes only its own")
    func concurrentWritesShareCommits() async throws {
        try await withStore(synchronous: .full) { _, store in
            let lease = try await store.grantLease(ttl: .seconds(60))
            let base = try await store.status().revision
            // 60 writers at once: 20 distinct puts, 20 racing for one key with `absent`, 20 on a lease that does not
            // exist (they throw), each also writing a key of its own that must then not exist.
            let outcomes = await withTaskGroup(of: (Int, Result<TxnResult, any Error>).self) { group in
                for n in 0..<60 {
                    group.addTask {
                        let result: Result<TxnResult, any Error>
                        do {
                            switch n % 3 {
                            case 0:
                                result = .success(try await store.txn([], then: [.put("own/\(n)", Data("\(n)".utf8))], otherwise: []))
                            case 1:
                                result = .success(
                                    try await store.txn([.absent("race")], then: [.put("race", Data("\(n)".utf8))], otherwise: []))
                            default:
                                let missing = LeaseID(lease.rawValue + 1)
                                let ops: [TxnOp] = [.put("bad/\(n)", Data()), .put(key: "leased/\(n)", value: Data(), lease: missing)]
                                result = .success(try await store.txn([], then: ops, otherwise: []))
                            }
                        } catch {
                            result = .failure(error)
                        }
                        return (n, result)
                    }
                }
                return await group.reduce(into: [Int: Result<TxnResult, any Error>]()) { $0[$1.0] = $1.1 }
            }
            var revisions: [Revision] = []
            var raceWinners = 0
            for (n, outcome) in outcomes {
                switch (n % 3, outcome) {
                case (0, .success(let r)): revisions.append(r.revision)
                case (1, .success(let r)):
                    if r.succeeded {
                        raceWinners += 1
                        revisions.append(r.revision)
                    }
                case (2, .failure(let error)):
                    #expect(error as? StoreError == .leaseNotFound(LeaseID(lease.rawValue + 1)), "\(error)")
                default: Issue.record("writer \(n): \(outcome)")
                }
            }
            #expect(raceWinners == 1, "exactly one `absent` compare wins")
            #expect(revisions.sorted() == Array((base + 1)...(base + 21)), "one revision each, none shared, none skipped")
            let keys = Set(try await store.range(prefix: "").kvs.map(\.key))
            #expect(keys.filter { $0.hasPrefix("own/") }.count == 20 && keys.contains("race"))
            #expect(!keys.contains { $0.hasPrefix("bad/") || $0.hasPrefix("leased/") }, "a throw rolled back its own writes only")
            // The watch replays the 21 revisions in order, each once.
            var seen: [Revision] = []
            for try await batch in store.watch(prefix: "", fromRevision: base + 1) {
                seen += batch.events.map(\.revision)
                if seen.count >= 21 { break }
            }
            #expect(seen == Array((base + 1)...(base + 21)))
        }
    }

    @Test(arguments: [("", nil), ("a", "b"), ("a%", "a&"), ("ab\u{D7FF}", "ab\u{E000}"), ("x\u{10FFFF}", "y"), ("\u{10FFFF}", nil)])
    func prefixUpperBound(_ prefix: String, _ bound: String?) {
        #expect(prefix.prefixUpperBound == bound)
    }
}
