import FlotillaCluster
import FlotillaCore
import FlotillaStore
import FlotillaTestSupport
import Foundation
import Testing

/// A host catches its registry up after its own start-up writes from the store's history, not from a second
/// listing of everything (issue 19: at 100,000 instances a listing takes seconds).
@Suite("Registry catch-up from history")
struct RegistryAdvanceTests {
    @Test("advance applies the writes made since the load, deletes included, and announces them as updates")
    func appliesHistory() async throws {
        try await FixtureStack.with { stack in
            let store = try await stack.store(SQLiteStoreHarness())
            _ = try await store.put(StoreKeys.worker("w1"), value: try StoreCodec.encode(simWorker("w1")))
            let registry = RegistryCache(store: store)
            try await registry.load()
            let loaded = registry.revision
            let updates = registry.updates()
            _ = try await store.put(StoreKeys.worker("w2"), value: try StoreCodec.encode(simWorker("w2")))
            _ = try await store.delete(StoreKeys.worker("w1"))
            let target = try await store.status().revision
            try await registry.advance()
            #expect(registry.revision == target && target == loaded + 2)
            #expect(registry.read { $0.workers.keys.sorted() } == ["w2"])
            var announced: [Revision] = []
            for await update in updates {
                announced.append(update.revision)
                if update.revision >= target { break }
            }
            #expect(announced.last == target)
        }
    }

    @Test("advance with nothing new changes nothing; after the history was compacted it lists again")
    func nothingNewOrCompacted() async throws {
        try await FixtureStack.with { stack in
            let store = try await stack.store(SQLiteStoreHarness())
            let registry = RegistryCache(store: store)
            try await registry.load()
            let before = registry.revision
            try await registry.advance()
            #expect(registry.revision == before)

            _ = try await store.put(StoreKeys.worker("w1"), value: try StoreCodec.encode(simWorker("w1")))
            _ = try await store.put(StoreKeys.worker("w2"), value: try StoreCodec.encode(simWorker("w2")))
            let target = try await store.status().revision
            try await store.compact(revision: target)
            try await registry.advance()
            #expect(registry.revision == target)
            #expect(registry.read { $0.workers.keys.sorted() } == ["w1", "w2"])
        }
    }
}
