import FlotillaCore
import Foundation

/// Seeds the built-in flavors and images into the store once; later edits by admins are kept.
enum CatalogSeeder {
    static func seed(store: any ClusterStore) async throws {
        guard try await store.get(StoreKeys.catalogSeeded) == nil else { return }
        var ops: [TxnOp] = [.put(StoreKeys.catalogSeeded, Data("1".utf8))]
        for f in Flavor.builtIn { ops.append(.put(StoreKeys.flavor(f.id), try StoreCodec.encode(f))) }
        for i in Image.builtIn(createdAt: Date()) { ops.append(.put(StoreKeys.image(i.id), try StoreCodec.encode(i))) }
        _ = try await store.txn([.absent(StoreKeys.catalogSeeded)], then: ops, otherwise: [])
    }
}
