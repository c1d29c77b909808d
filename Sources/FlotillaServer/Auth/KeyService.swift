import FlotillaCluster
import FlotillaCore
import Foundation

/// Creates, lists and revokes API keys. Only a key's SHA-256 is stored; the secret is returned once.
public struct KeyService: Sendable {
    let store: any ClusterStore
    let registry: RegistryCache
    let now: @Sendable () -> Date

    public init(store: any ClusterStore, registry: RegistryCache, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.registry = registry
        self.now = now
    }

    /// A new random secret: `flt_` and 40 characters of base32 from 25 random bytes.
    public static func newSecret() -> String {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        var out = "flt_"
        for _ in 0..<40 { out.append(alphabet[Int(rng.next(upperBound: UInt32(alphabet.count)))]) }
        return out
    }

    /// Stores a key with `secret` (a new random one when nil); returns the record and the secret.
    /// A second key with the same name is refused; storing the same secret again returns the existing key.
    public func create(
        name: String, role: Role, secret: String? = nil, waitForRegistry: Bool = true
    ) async throws -> (APIKeyRecord, String) {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.count <= 100 else {
            throw FlotillaError.validation("name must be 1 to 100 characters", field: "name")
        }
        let secret = secret ?? Self.newSecret()
        guard secret.count >= 16, secret.count <= 256 else {
            throw FlotillaError.validation("an API key must be 16 to 256 characters", field: "key")
        }
        let hash = Authenticator.digest(secret)
        if let existing = registry.read({ $0.apiKeys[hash] }) { return (existing, secret) }
        if registry.read({ $0.apiKeys.values.contains { $0.name == trimmed } }) {
            throw FlotillaError(.nameConflict, "An API key named \(trimmed) already exists", details: ["name": .string(trimmed)])
        }
        let record = APIKeyRecord(
            id: UUID().uuidString.lowercased(), name: trimmed, role: role, secretHash: hash,
            prefix: String(secret.prefix(8)), createdAt: now())
        let key = StoreKeys.apiKey(hash: hash)
        let result = try await store.txn([.absent(key)], then: [.put(key, try StoreCodec.encode(record))], otherwise: [])
        if waitForRegistry { _ = await registry.waitForRevision(result.revision, timeout: .seconds(5)) }
        return (record, secret)
    }

    /// Every key, oldest first.
    public func list() -> [APIKeyRecord] {
        registry.read { $0.apiKeys.values.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) } }
    }

    /// Revokes the key with this id (or name).
    public func revoke(_ idOrName: String) async throws -> APIKeyRecord {
        guard let record = registry.read({ $0.apiKeys.values.first { $0.id == idOrName || $0.name == idOrName } }) else {
            throw FlotillaError(.resourceNotFound, "API key \(idOrName) not found", details: ["id": .string(idOrName)])
        }
        let result = try await store.delete(StoreKeys.apiKey(hash: record.secretHash))
        _ = await registry.waitForRevision(result.revision, timeout: .seconds(5))
        return record
    }
}
