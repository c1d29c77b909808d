import FlotillaCore
import FlotillaStore
import FlotillaTestSupport
import Foundation
import Testing

/// etcd-specific behaviour: fail-over across members, a cluster that is down, status facts. Each test has a
/// cluster of its own; they run one at a time, so that at most two clusters (this suite's and the contract
/// suite's) load the machine at once.
@Suite("etcd store on a real cluster", .etcdAvailable, .serialized, .timeLimit(.minutes(2)))
struct EtcdClusterStoreTests {
    /// With the member the store talks to killed, reads, writes and transactions go on through the other two,
    /// and a running watch resumes on another member from its last revision: no event missed or repeated.
    @Test func oneMemberDownKeepsReadsWritesTxnsAndWatches() async throws {
        try await withEtcdCluster { cluster in
            try await withStore(endpoints: cluster.endpoints) { store in
                let p = "/failover/"
                let first = try await store.put(p + "k0", value: Data("0".utf8))
                let events = LockedBox<[WatchEvent]>([])
                let watcher = Task {
                    for try await batch in store.watch(prefix: p, fromRevision: first) {
                        events.withLock { $0 += batch.events }
                    }
                }
                defer { watcher.cancel() }
                for i in 1..<5 { try await store.put(p + "k\(i)", value: Data(String(i).utf8)) }
                try await StoreContract.waitUntil("the watch saw the first writes") { events.value.count >= 5 }

                // The store and its watch talk to the first endpoint: kill that member.
                await cluster.stop(member: 0)
                // If it was the leader, the others elect a new one first (etcd's election timeout: 1 s); writes
                // sent meanwhile may time out (unavailable: their outcome is unknown). Reads go on at once.
                #expect(try await store.get(p + "k4")?.value == Data("4".utf8))
                try await StoreContract.waitUntil("the two members left have a leader") {
                    (try? await store.status())?.healthy == true
                }

                var written: [Revision] = []
                for i in 5..<10 { written.append(try await store.put(p + "k\(i)", value: Data(String(i).utf8))) }
                let swapped = try await store.txn(
                    [.holds(p + "k9", Data("9".utf8))], then: [.put(p + "k9", Data("nine".utf8)), .delete(key: p + "k0")], otherwise: [])
                #expect(swapped.succeeded)
                #expect(try await store.get(p + "k9")?.value == Data("nine".utf8))
                #expect(try await store.range(prefix: p).kvs.count == 9)
                let status = try await store.status()
                #expect(status.healthy)

                try await StoreContract.waitUntil("the watch resumed and saw every later write") { events.value.count >= 12 }
                // One more write after all of them: the watch delivers in order, so once it has delivered this one,
                // anything it repeated of the writes above came before it.
                let marker = try await store.put(p + "end", value: Data("end".utf8))
                try await StoreContract.waitUntil("the watch saw the last write") { events.value.contains { $0.revision == marker } }
                #expect(events.value.last?.revision == marker, "nothing after the last write")
                let seen = events.value.filter { $0.revision != marker }
                #expect(seen.count == 12, "nothing repeated")
                #expect(seen.map(\.revision) == seen.map(\.revision).sorted())
                #expect(Set(seen.map(\.revision)).count == 11, "one revision per write, the txn's two events share one")
                #expect(seen.suffix(7).prefix(5).map(\.revision) == written)
                #expect(seen.suffix(2).map(\.revision) == [swapped.revision, swapped.revision])

                // The member comes back and catches up.
                try await cluster.start(member: 0)
                try await withStore(endpoints: [cluster.endpoints[0]]) { back in
                    try await StoreContract.waitUntil("the restarted member has the writes") {
                        (try? await back.get(p + "k9"))?.value == Data("nine".utf8)
                    }
                }
                watcher.cancel()
                _ = await watcher.result
            }
        }
    }

    /// With every member down, each call fails with `unavailable` promptly instead of hanging, and a watch
    /// gives up after its reconnect window.
    @Test func allMembersDownIsUnavailableWithinTheDeadline() async throws {
        try await withEtcdCluster { cluster in
            try await withStore(endpoints: cluster.endpoints, watchReconnectWindow: .seconds(1)) { store in
                try await store.put("/down/k", value: Data("v".utf8))
                for member in cluster.members.indices { await cluster.stop(member: member) }

                let clock = ContinuousClock()
                let calls: [(String, @Sendable () async throws -> Void)] = [
                    ("get", { _ = try await store.get("/down/k") }),
                    ("put", { try await store.put("/down/k", value: Data("w".utf8)) }),
                    ("txn", { _ = try await store.txn([.absent("/down/x")], then: [.put("/down/x", Data())], otherwise: []) }),
                    ("grantLease", { _ = try await store.grantLease(ttl: .seconds(5)) }),
                    ("status", { _ = try await store.status() }),
                ]
                for (name, call) in calls {
                    let start = clock.now
                    do {
                        try await call()
                        Issue.record("\(name) succeeded with every member down")
                    } catch let error as StoreError {
                        guard case .unavailable = error else {
                            Issue.record("\(name) failed with \(error), not unavailable")
                            continue
                        }
                    }
                    #expect(clock.now - start < .seconds(2), "\(name) failed within the request deadline")
                }

                let start = clock.now
                do {
                    for try await _ in store.watch(prefix: "/down/", fromRevision: 1) {}
                    Issue.record("the watch ended without an error")
                } catch let error as StoreError {
                    guard case .unavailable = error else {
                        Issue.record("the watch failed with \(error), not unavailable")
                        return
                    }
                }
                #expect(clock.now - start < .seconds(5), "the watch gave up after its reconnect window")
            }
        }
    }

    /// A watch on a member cut off from the quorum does not stay open and silent: etcd cancels it (the watch
    /// asks for a leader), it tries again on the members it knows, and fails with `unavailable` after its
    /// reconnect window.
    @Test func watchOnAMemberWithoutLeaderFailsInsteadOfHanging() async throws {
        try await withEtcdCluster { cluster in
            try await withStore(endpoints: [cluster.endpoints[0]], watchReconnectWindow: .seconds(1)) { store in
                let start = try await store.put("/cutoff/k", value: Data("v".utf8))
                let events = LockedBox(0)
                let outcome = LockedBox<StoreError?>(nil)
                let watcher = Task {
                    do {
                        for try await batch in store.watch(prefix: "/cutoff/", fromRevision: start) {
                            events.withLock { $0 += batch.events.count }
                        }
                    } catch let error as StoreError {
                        outcome.withLock { $0 = error }
                    }
                }
                try await StoreContract.waitUntil("the watch is live") { events.value >= 1 }
                await cluster.stop(member: 1)
                await cluster.stop(member: 2)
                // Member 0 keeps running but loses its leader after the election timeout (1 s).
                try await StoreContract.waitUntil(seconds: 20, "the watch fails") { outcome.value != nil }
                _ = await watcher.result
                guard case .unavailable = outcome.value else {
                    Issue.record("the watch failed with \(String(describing: outcome.value)), not unavailable")
                    return
                }
            }
        }
    }

    /// A member that hangs (SIGSTOP: connections open, no answers) costs a read one attempt deadline before
    /// it moves on; a write sent to it is not sent again (it may still apply when the member wakes up) and
    /// fails with `unavailable`; either way the next calls go to the other members.
    @Test func hungMemberCostsOneDeadlineThenCallsGoElsewhere() async throws {
        try await withEtcdCluster { cluster in
            let clock = ContinuousClock()
            // Freeze a follower the store talks to first, so that no election blurs the timings (losing the
            // leader is the fail-over test's business).
            let leader = try await withStore(endpoints: cluster.endpoints) { try await $0.status().details["leader"] }
            let hung = try #require(cluster.members.firstIndex { $0.name != leader })
            let endpoints = [cluster.endpoints[hung]] + cluster.endpoints.enumerated().filter { $0.offset != hung }.map(\.element)

            // The bounds below are in units of the deadline, not of the machine's speed: "one deadline, then an
            // answer" is under two deadlines, "straight to a member that answers" is under one. A deadline of 3 s
            // leaves a loaded 2-core machine (etcd members answering in hundreds of milliseconds) room enough;
            // with 1 s such a machine once missed it on a member that was not hung.
            let deadline = Duration.seconds(3)
            try await withStore(endpoints: endpoints, requestTimeout: deadline) { store in
                try await store.put("/hung/k", value: Data("v".utf8))
                cluster.pause(member: hung)
                defer { cluster.resume(member: hung) }

                var start = clock.now
                #expect(try await store.get("/hung/k")?.value == Data("v".utf8))
                #expect(clock.now - start < deadline * 2, "one attempt deadline on the hung member, then another member")
                start = clock.now
                try await store.put("/hung/k", value: Data("w".utf8))
                #expect(clock.now - start < deadline, "the write went straight to a member that answers")
            }
            try await withStore(endpoints: endpoints, requestTimeout: deadline) { store in
                cluster.pause(member: hung)
                defer { cluster.resume(member: hung) }
                do {
                    try await store.put("/hung/sent", value: Data("maybe".utf8))
                    Issue.record("a write to a hung member succeeded: it was sent again to another member")
                } catch let error as StoreError {
                    guard case .unavailable = error else {
                        Issue.record("the write failed with \(error), not unavailable")
                        return
                    }
                }
                let start = clock.now
                try await store.put("/hung/next", value: Data("n".utf8))
                #expect(clock.now - start < deadline, "the next write went straight to a member that answers")
                #expect(try await store.get("/hung/next")?.value == Data("n".utf8))
            }
        }
    }

    /// A watch that loses its member and, on resuming elsewhere, finds the history it still needs compacted
    /// fails with `compacted`, naming the revision it needed and the oldest one left (it never skips events).
    @Test func watchResumingIntoCompactedHistoryFailsWithCompacted() async throws {
        try await withEtcdCluster { cluster in
            try await withStore(endpoints: cluster.endpoints) { store in
                let p = "/resume-compacted/"
                let first = try await store.put(p + "k1", value: Data("1".utf8))
                var iterator = store.watch(prefix: p, fromRevision: first).makeAsyncIterator()
                let batch = try await iterator.next()
                #expect(batch?.events.map(\.revision) == [first])

                // The watch reads only when asked: nothing is read while its member is down and history goes.
                await cluster.stop(member: 0)
                try await StoreContract.waitUntil("the two members left have a leader") {
                    (try? await store.status())?.healthy == true
                }
                try await StoreContract.waitUntil("a write goes through") {
                    (try? await store.put(p + "k2", value: Data("2".utf8))) != nil
                }
                let third = try await store.put(p + "k3", value: Data("3".utf8))
                try await store.compact(revision: third)
                do {
                    let next = try await iterator.next()
                    Issue.record("the watch delivered \(String(describing: next)) instead of failing")
                } catch let error as StoreError {
                    #expect(error == .compacted(requested: first + 1, oldest: third))
                }
            }
        }
    }

    /// A listing longer than one page (issue 19: a registry of 100,000 instances is hundreds of MB) is read whole,
    /// in key order, each key once, and carries the revision of its first page (the later pages read at it).
    @Test func listingLongerThanAPageIsOneSnapshot() async throws {
        try await withEtcdCluster { cluster in
            try await withStore(endpoints: cluster.endpoints, rangePageSize: 7) { store in
                let p = "/paged/"
                let keys = (0..<50).map { String(format: "\(p)k%03d", $0) }
                var ops = keys.map { TxnOp.put($0, Data($0.utf8)) }
                _ = try await store.txn([], then: Array(ops.prefix(25)), otherwise: [])
                ops.removeFirst(25)
                let written = try await store.txn([], then: ops, otherwise: []).revision
                _ = try await store.put("/paged-other/k", value: Data())
                let listed = try await store.range(prefix: p)
                #expect(listed.kvs.map(\.key) == keys)
                #expect(listed.kvs.allSatisfy { $0.value == Data($0.key.utf8) })
                #expect(listed.revision == written + 1, "the revision of the first page's read")
                #expect(try await store.range(prefix: "/paged/k04").kvs.count == 10)
                #expect(try await store.range(prefix: "/nothing-here/").kvs.isEmpty)
            }
        }
    }

    /// status() reports the three members, the leader and the raft term.
    @Test func statusReportsMembersAndLeader() async throws {
        try await withEtcdCluster { cluster in
            try await withStore(endpoints: cluster.endpoints) { store in
                let status = try await store.status()
                #expect(status.kind == "etcd")
                #expect(status.healthy)
                #expect(status.details["members"] == "3")
                #expect(status.details["memberNames"] == "m0,m1,m2")
                #expect(["m0", "m1", "m2"].contains(status.details["leader"] ?? ""))
                #expect(Int(status.details["raftTerm"] ?? "") ?? 0 >= 1)
                #expect(status.oldestRevision == 1)
                let revision = try await store.put("/status/k", value: Data())
                #expect(try await store.status().revision >= revision)
            }
        }
    }
}

/// Runs `body` with a store on `endpoints`, closing it afterwards whatever happens.
func withStore<T>(
    endpoints: [String], requestTimeout: Duration = .seconds(2), watchReconnectWindow: Duration = .seconds(10),
    rangePageSize: Int = 1000, _ body: (EtcdClusterStore) async throws -> T
) async throws -> T {
    let store = try EtcdClusterStore(
        endpoints: endpoints, requestTimeout: requestTimeout, watchReconnectWindow: watchReconnectWindow, rangePageSize: rangePageSize)
    do {
        let result = try await body(store)
        try await store.close()
        return result
    } catch {
        try? await store.close()
        throw error
    }
}
