import FlotillaCore
import Foundation

extension KeyService {
    /// Rotates the key with this id (or name), ADR 0019: stores a new key with its role and, in the same
    /// transaction, sets the old key's `expiresAt` to now + grace (``KeyRotation``). Returns the old key as
    /// rotated, the new key and its secret (shown this once). An admin key rotates into an admin key, so a
    /// rotation never leaves the cluster without one.
    public func rotate(_ idOrName: String, options: KeyRotation.Options = .init()) async throws -> (
        rotated: APIKeyRecord, created: APIKeyRecord, secret: String
    ) {
        let secret = Self.newSecret()
        let hash = hasher.hash(secret)
        let newId = UUID().uuidString.lowercased()
        for _ in 0..<Self.revokeAttempts {
            let listing = try await store.range(prefix: StoreKeys.apiKeys)
            let stored = listing.kvs.compactMap { kv in
                (try? StoreCodec.decode(APIKeyRecord.self, from: kv.value)).map {
                    KeyRevocation.Stored(storeKey: kv.key, record: $0, modRevision: kv.modRevision)
                }
            }
            let plan = try KeyRotation.plan(idOrName, among: stored, newSecretHash: hash, newId: newId, options: options, now: clock.now)
            let result = try await store.txn(plan.change.compares, then: plan.change.ops, otherwise: [])
            guard result.succeeded else { continue }
            await registry.catchUp(to: result.revision)
            return (plan.rotated, plan.created, secret)
        }
        throw FlotillaError(.storeUnavailable, "API keys changed concurrently too often; try again")
    }
}
