import FlotillaCore
import Foundation

/// Seeds the built-in flavors and images into the store once; later edits by admins are kept. A store seeded
/// before issue 12 has the built-in flavors named after their ids (`m1.small`): each one still exactly as it was
/// seeded takes upstream's name and description at the next start (docs/decisions/0015-names-and-text-limits.md).
enum CatalogSeeder {
    static func seed(store: any ClusterStore) async throws {
        guard try await store.get(StoreKeys.catalogSeeded) == nil else {
            try await upgradeFlavors(store: store)
            return
        }
        var ops: [TxnOp] = [.put(StoreKeys.catalogSeeded, Data("1".utf8))]
        for f in Flavor.builtIn { ops.append(.put(StoreKeys.flavor(f.id), try StoreCodec.encode(f))) }
        for i in Image.builtIn(createdAt: Date()) { ops.append(.put(StoreKeys.image(i.id), try StoreCodec.encode(i))) }
        _ = try await store.txn([.absent(StoreKeys.catalogSeeded)], then: ops, otherwise: [])
    }

    /// Renames the legacy built-in flavors still as seeded, each guarded by its revision so that an admin's
    /// concurrent change wins.
    static func upgradeFlavors(store: any ClusterStore) async throws {
        for legacy in Flavor.legacyBuiltIn {
            let key = StoreKeys.flavor(legacy.id)
            guard let kv = try await store.get(key), let stored = try? StoreCodec.decode(Flavor.self, from: kv.value),
                let current = Flavor.upgrade(stored)
            else { continue }
            _ = try await store.txn(
                [.unchanged(key, since: kv.modRevision)], then: [.put(key, try StoreCodec.encode(current))], otherwise: [])
        }
    }
}
