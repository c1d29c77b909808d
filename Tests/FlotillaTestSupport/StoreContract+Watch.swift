import FlotillaCore
import Foundation
import Testing

extension StoreContract {
    /// A watch from a past revision replays exactly the history under its prefix, in order, then goes live.
    public static func watchReplaysFromRevisionInOrder(_ h: any StoreHarness) async throws {
        let store = try await h.makeStore()
        let p = uniquePrefix("replay")
        let r1 = try await store.put(p + "a", value: bytes("1"))
        let r2 = try await store.put(p + "b", value: bytes("2"))
        try await store.put(p + "x", value: bytes("outside"))  // written, but watched from after r2 below
        try await store.put(String(p.dropLast()) + "-other/a", value: bytes("not under the prefix"))
        try await store.put(p + "a", value: bytes("3"))
        try await store.delete(p + "b")
        _ = try await store.txn([], then: [.put(p + "c", bytes("4")), .put(p + "d", bytes("5"))], otherwise: [])

        let stream = store.watch(prefix: p, fromRevision: r2)
        let replayed = try await collect(stream, "replay") { $0.count >= 6 }
        #expect(summary(replayed) == ["put \(p)b=2", "put \(p)x=outside", "put \(p)a=3", "delete \(p)b", "put \(p)c=4", "put \(p)d=5"])
        #expect(replayed.first?.revision == r2)
        #expect(zip(replayed, replayed.dropFirst()).allSatisfy { $0.revision <= $1.revision })
        #expect(replayed[2].kv.createRevision == r1)
        #expect(replayed[2].kv.version == 2)
        #expect(replayed[4].revision == replayed[5].revision)

        // The whole history from the first write: one more event in front.
        try await store.put(p + "sentinel", value: bytes("s"))
        let (all, _) = try await collect(store.watch(prefix: p, fromRevision: r1), untilKey: p + "sentinel")
        #expect(summary(all) == ["put \(p)a=1"] + summary(replayed))
    }

    /// Events from concurrent writers arrive once each, in strictly increasing revisions, none missing.
    public static func watchDeliversLiveEventsWithoutGapsUnderConcurrentWriters(_ h: any StoreHarness) async throws {
        let store = try await h.makeStore()
        let p = uniquePrefix("live")
        let start = try await store.put(p + "start", value: bytes("0"))
        let stream = store.watch(prefix: p, fromRevision: start + 1)
        let writers = 4
        let writesEach = 50
        let expectedRevisions = LockedBox<[Revision]>([])
        try await withDeadline(seconds: 30, "concurrent writers") {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for w in 0..<writers {
                    group.addTask {
                        for i in 0..<writesEach {
                            let r = try await store.put(p + "w\(w)", value: bytes(String(i)))
                            expectedRevisions.withLock { $0.append(r) }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        let events = try await collect(stream, seconds: 20, "live events") { $0.count >= writers * writesEach }
        #expect(events.count == writers * writesEach)
        #expect(events.map(\.revision) == expectedRevisions.withLock { $0.sorted() })
        #expect(zip(events, events.dropFirst()).allSatisfy { $0.revision < $1.revision })
        for w in 0..<writers {
            let values = events.filter { $0.kv.key == p + "w\(w)" }.map { text($0.kv.value) ?? "" }
            #expect(values == (0..<writesEach).map(String.init), "writer \(w)'s values, each once, in order")
        }
    }

    /// A watch from 0 ("now") sees changes made after `watch` was called, never older ones.
    public static func watchFromNowSeesOnlyNewEvents(_ h: any StoreHarness) async throws {
        let store = try await h.makeStore()
        let p = uniquePrefix("now")
        let old = try await store.put(p + "old", value: bytes("before the watch"))
        let stream = store.watch(prefix: p, fromRevision: 0)
        // A store may set the watch up asynchronously: write markers until the watch shows one.
        let seen = try await withDeadline(seconds: 15, "the watch from now goes live") {
            try await withThrowingTaskGroup(of: [WatchEvent]?.self) { group in
                group.addTask {
                    try await collect(stream, seconds: 15, "a marker") { events in
                        events.contains { $0.kv.key.hasPrefix(p + "marker") }
                    }
                }
                group.addTask {
                    var i = 0
                    while !Task.isCancelled {
                        try await store.put(p + "marker\(i)", value: bytes(String(i)))
                        i += 1
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    return nil
                }
                defer { group.cancelAll() }
                while let result = try await group.next() {
                    if let events = result { return events }
                }
                return []
            }
        }
        #expect(!seen.isEmpty)
        #expect(seen.allSatisfy { $0.revision > old && $0.kv.key != p + "old" })
    }

    /// Cancelling the task that consumes a watch ends the stream promptly; the store keeps working.
    public static func cancellingWatchStops(_ h: any StoreHarness) async throws {
        let store = try await h.makeStore()
        let p = uniquePrefix("cancel")
        let first = try await store.put(p + "k", value: bytes("1"))
        let received = LockedBox(0)
        let consumer = Task {
            for try await batch in store.watch(prefix: p, fromRevision: first) {
                received.withLock { $0 += batch.events.count }
            }
        }
        try await waitUntil("the consumer got the first event") { received.withLock { $0 } >= 1 }
        consumer.cancel()
        // The consumer is suspended waiting for the next change; cancellation must end it.
        try await withDeadline(seconds: 10, "the cancelled watch ends") {
            _ = await consumer.result
        }
        try await store.put(p + "k", value: bytes("2"))
        #expect(text(try await store.get(p + "k")?.value) == "2")
    }

    /// History before the compacted revision is gone: a watch from it fails naming the oldest revision
    /// left; a watch from that oldest revision still works.
    public static func compactionMakesOldWatchFailWithOldest(_ h: any StoreHarness) async throws {
        let store = try await h.makeStore()
        let p = uniquePrefix("compact")
        var revisions: [Revision] = []
        for i in 0..<5 { revisions.append(try await store.put(p + "k\(i)", value: bytes(String(i)))) }
        let keep = revisions[2]
        try await store.compact(revision: keep)

        let stream = store.watch(prefix: p, fromRevision: keep)
        let kept = try await collect(stream, "watch from the compact revision") { $0.count >= 3 }
        #expect(summary(kept) == ["put \(p)k2=2", "put \(p)k3=3", "put \(p)k4=4"])

        do {
            let events = try await collect(store.watch(prefix: p, fromRevision: keep - 1), "compacted watch") { _ in true }
            Issue.record("a watch from a compacted revision delivered \(events.count) events instead of failing")
        } catch let error as StoreError {
            #expect(error == .compacted(requested: keep - 1, oldest: keep))
        }
        let status = try await store.status()
        #expect(status.oldestRevision >= keep)
        await #expect(throws: StoreError.self) { try await store.compact(revision: status.revision + 1000) }
    }
}
