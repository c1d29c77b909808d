import FlotillaCore
import Foundation
import Logging

/// Creates, lists, rotates and revokes API keys (ADR 0014, ADR 0019). A key is stored as a keyed hash of its
/// secret (``APIKeyHasher``); the secret is returned once, at creation. A revoked key leaves a tombstone, and the
/// last admin key is never revoked. Keys may expire; each key's requests are limited by its role's rate on
/// this host (``limiter``), and their last use is written by ``usageRecorder(logger:)``.
public struct KeyService: Sendable {
    let store: any ClusterStore
    /// The keys as the registry holds them (HTTP authentication reads them too: KeyService+Authenticator.swift in
    /// FlotillaServer).
    package let registry: RegistryCache
    /// The stored form of secrets, shared with the HTTP surfaces' authenticator.
    public let hasher: APIKeyHasher
    package let clock: WallClock
    /// This host's per-key token buckets.
    public let limiter: KeyRateLimiter
    /// The key uses this host has noted and not yet written.
    package let usage = KeyUsage()

    public init(
        store: any ClusterStore, registry: RegistryCache, hasher: APIKeyHasher, rateLimits: RateLimits = .defaults,
        clock: WallClock = .system
    ) {
        self.store = store
        self.registry = registry
        self.hasher = hasher
        self.limiter = KeyRateLimiter(limits: rateLimits)
        self.clock = clock
    }

    /// The service that writes keys' last uses (and drops the rate-limit buckets of deleted keys): run it with
    /// the host's other services, after the store and the registry.
    public func usageRecorder(logger: Logger) -> KeyUsageRecorder {
        KeyUsageRecorder(store: store, registry: registry, usage: usage, limiter: limiter, logger: logger)
    }

    /// Where the hashing key's ``APIKeyHasher/check`` is kept (outside the registry's prefix).
    static let hashCheckKey = "/flotilla-keys/hash-check"

    /// How often a revocation reads the keys again after a concurrent change to them.
    static let revokeAttempts = 16

    /// A new random secret: `flt_` and 40 characters of base32 from 25 random bytes.
    public static func newSecret() -> String {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        var out = "flt_"
        for _ in 0..<40 { out.append(alphabet[Int(rng.next(upperBound: UInt32(alphabet.count)))]) }
        return out
    }

    /// Stores a key with `secret` (a new random one when nil) that expires at `expiresAt` (nil: never; else in
    /// the future and at most 5 years ahead, ``KeyExpiry``); returns the record and the secret.
    /// A second key with the same name is refused; storing the same secret again returns the existing key; a
    /// secret whose key was revoked is refused (409).
    public func create(
        name: String, role: Role, secret: String? = nil, expiresAt: Date? = nil, waitForRegistry: Bool = true
    ) async throws -> (APIKeyRecord, String) {
        let name = try NameRule.check(name, kind: .key)
        let expiresAt = try KeyExpiry.validate(expiresAt: expiresAt, now: clock.now)
        let secret = secret ?? Self.newSecret()
        guard secret.utf8.count >= 16, secret.utf8.count <= 256 else {
            throw FlotillaError.validation("an API key must be 16 to 256 bytes", field: "key")
        }
        let hash = hasher.hash(secret)
        if let existing = registry.read({ $0.apiKeys[hash] }) { return (existing, secret) }
        if registry.read({ $0.apiKeys.values.contains { $0.name == name } }) {
            throw FlotillaError(.nameConflict, "An API key named \(name) already exists", details: ["name": .string(name)])
        }
        let record = APIKeyRecord(
            id: UUID().uuidString.lowercased(), name: name, role: role, secretHash: hash, createdAt: clock.now, expiresAt: expiresAt)
        let key = StoreKeys.apiKey(hash: hash)
        let tombstone = RevokedAPIKey.storeKey(hash: hash)
        let result = try await store.txn(
            [.absent(key), .absent(tombstone)], then: [.put(key, try StoreCodec.encode(record))],
            otherwise: [.get(key: key), .get(key: tombstone)])
        guard result.succeeded else {
            if case .get(let kv?) = result.results.first { return (try StoreCodec.decode(APIKeyRecord.self, from: kv.value), secret) }
            throw FlotillaError(.invalidState, "This API key was revoked; it cannot be stored again")
        }
        if waitForRegistry { await registry.catchUp(to: result.revision) }
        return (record, secret)
    }

    /// Every key, oldest first.
    public func list() -> [APIKeyRecord] {
        registry.read { $0.apiKeys.values.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) } }
    }

    /// Revokes the key with this id (or name), leaving its tombstone. The last admin key is refused with 409
    /// (``KeyRevocation``), also when two revocations race.
    public func revoke(_ idOrName: String) async throws -> APIKeyRecord {
        for _ in 0..<Self.revokeAttempts {
            let listing = try await store.range(prefix: StoreKeys.apiKeys)
            let stored = listing.kvs.compactMap { kv in
                (try? StoreCodec.decode(APIKeyRecord.self, from: kv.value)).map {
                    KeyRevocation.Stored(storeKey: kv.key, record: $0, modRevision: kv.modRevision)
                }
            }
            let (record, change) = try KeyRevocation.plan(idOrName, among: stored, revokedAt: clock.now)
            let result = try await store.txn(change.compares, then: change.ops, otherwise: [])
            guard result.succeeded else { continue }
            await registry.catchUp(to: result.revision)
            return record
        }
        throw FlotillaError(.storeUnavailable, "API keys changed concurrently too often; try again")
    }

    /// The tombstone of the key `secret` would be, if that key was revoked.
    public func revocation(of secret: String) async throws -> RevokedAPIKey? {
        guard let kv = try await store.get(RevokedAPIKey.storeKey(hash: hasher.hash(secret))) else { return nil }
        return try StoreCodec.decode(RevokedAPIKey.self, from: kv.value)
    }

    /// Whether this host hashes secrets as the keys in the store were hashed: records the hashing key's check
    /// value on first use, then compares with it. False means another cluster secret: no stored key would
    /// authenticate.
    public func hashingKeyMatchesStore() async throws -> Bool {
        let check = Data(hasher.check.utf8)
        let result = try await store.txn(
            [.absent(Self.hashCheckKey)], then: [.put(Self.hashCheckKey, check)], otherwise: [.get(key: Self.hashCheckKey)])
        if result.succeeded { return true }
        guard case .get(let kv?) = result.results.first else { return false }
        return kv.value == check
    }

    /// Rewrites every key stored before ADR 0014 (a plain SHA-256 of the secret, beside its first characters)
    /// as an HMAC record under its new store key, and reloads the registry; returns how many were rewritten.
    /// Each rewrite is compared on the old record's revision, so hosts that start together rewrite each key once.
    public func migrateLegacyKeys() async throws -> Int {
        var migrated = 0
        for kv in try await store.range(prefix: StoreKeys.apiKeys).kvs {
            guard var record = try? StoreCodec.decode(APIKeyRecord.self, from: kv.value), record.hashScheme == .sha256,
                let hash = hasher.hash(legacyDigest: record.secretHash)
            else { continue }
            record.secretHash = hash
            record.hashScheme = .hmacSHA256
            let key = StoreKeys.apiKey(hash: hash)
            let result = try await store.txn(
                [.unchanged(kv.key, since: kv.modRevision), .absent(key)],
                then: [.delete(key: kv.key), .put(key, try StoreCodec.encode(record))], otherwise: [])
            if result.succeeded {
                migrated += 1
            } else if try await store.get(key) != nil {
                // The same secret was stored again in the new form (an `--api-key` host started first): the old
                // record only repeats it.
                let dropped = try await store.txn([.unchanged(kv.key, since: kv.modRevision)], then: [.delete(key: kv.key)], otherwise: [])
                if dropped.succeeded { migrated += 1 }
            }
        }
        if migrated > 0 { try await registry.load() }
        return migrated
    }
}
