import Crypto
import FlotillaCluster
import FlotillaCore
import FlotillaFlintlock
import Foundation
import Hummingbird

/// Checks the credential of a request against the API keys in the registry (docs/api/surface-a-compute.md, shared
/// rules): an API key as `X-API-Key: KEY` or `Authorization: Bearer KEY`. Keys are looked up by their keyed hash
/// (``APIKeyHasher``, ADR 0014): one SHA-256, one HMAC and a dictionary read per request. A key past its `expiresAt` is
/// refused, and each key's requests are rate limited by its role on this host (ADR 0019).
public struct Authenticator: Sendable {
    let registry: RegistryCache
    let hasher: APIKeyHasher
    /// nil: no limits.
    let limiter: KeyRateLimiter?
    /// nil: last uses are not recorded.
    let usage: KeyUsage?
    let clock: WallClock

    public init(
        registry: RegistryCache, hasher: APIKeyHasher, limiter: KeyRateLimiter? = nil, usage: KeyUsage? = nil,
        clock: WallClock = .system
    ) {
        self.registry = registry
        self.hasher = hasher
        self.limiter = limiter
        self.usage = usage
        self.clock = clock
    }

    /// The message of a 401 for a key that is not known (surfaces tell it from a missing key by it).
    static let invalidKeyMessage = "Invalid API key"
    /// The message of a 401 for a key past its expiry.
    static let expiredKeyMessage = "This API key has expired"

    /// The hex SHA-256 of a string (idempotency records are keyed by it; API keys are not: see ``APIKeyHasher``).
    public static func digest(_ secret: String) -> String {
        APIKeyHasher.hex(SHA256.hash(data: Data(secret.utf8)))
    }

    /// The credential a request carries, if any.
    static func credential(of request: Request) -> String? {
        if let key = request.headers[.apiKey], !key.isEmpty { return key }
        if let auth = request.headers[.authorization] {
            // Flintlock's clients send `Basic <base64 of the key>` (surface E only).
            if Surface.of(path: request.uri.path) == .flintlock { return FlintlockCredential.secret(authorization: auth) }
            let parts = auth.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                return String(parts[1]).trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    /// Whether `secret` is a known client API key.
    func knows(_ secret: String) -> Bool {
        let hash = hasher.hash(secret)
        return registry.read { $0.apiKeys[hash] != nil }
    }

    /// The principal of the key `secret` names, whatever its role; nil when none is sent or the key is not
    /// known. It has no side effects: no rate-limit token is taken and no last use is recorded (the audit
    /// trail names with it who was refused with 403 or 429).
    public func identify(secret: String?) -> Principal? {
        guard let secret else { return nil }
        let hash = hasher.hash(secret)
        guard let record = registry.read({ $0.apiKeys[hash] }) else { return nil }
        return Principal(keyId: record.id, name: record.name, role: record.role)
    }

    /// Whether `secret` is a known key that has not expired, whatever its role; no rate-limit token is taken and
    /// no use is noted (for requests that need no credential, to decide what they may learn).
    func isValid(secret: String?) -> Bool {
        guard let secret, let record = registry.read({ $0.apiKeys[hasher.hash(secret)] }) else { return false }
        return !KeyExpiry.isExpired(record, now: clock.now)
    }

    /// The caller, if its key grants `permission`; 401 for a missing or unknown key, 403 for a weaker role.
    func authorize(_ request: Request, permission: Permission) throws -> Principal {
        try authorize(secret: Self.credential(of: request), permission: permission)
    }

    /// The caller holding `secret` (nil: none sent), if its key grants `permission`; 401 for a missing, unknown
    /// or expired key, 429 (`RATE_LIMITED`, `details.retryAfter`) past the key's rate limit, 403 for a weaker
    /// role. A granted request notes the key's use (written off the request path). Surface E's gRPC service
    /// checks its callers with this.
    public func authorize(secret: String?, permission: Permission) throws(FlotillaError) -> Principal {
        guard let secret else {
            throw FlotillaError(.unauthorized, "API key is required: send X-API-Key or Authorization: Bearer")
        }
        let hash = hasher.hash(secret)
        guard let record = registry.read({ $0.apiKeys[hash] }) else {
            throw FlotillaError(.unauthorized, Self.invalidKeyMessage)
        }
        let now = clock.now
        if KeyExpiry.isExpired(record, now: now), let expiresAt = record.expiresAt {
            throw FlotillaError(
                .unauthorized, Self.expiredKeyMessage,
                details: ["id": .string(record.id), "expiresAt": .string(ISO8601DateFormatter().string(from: expiresAt))])
        }
        try limiter?.take(for: record)
        guard record.role.grants(permission) else {
            throw FlotillaError(
                .forbidden, "The \(record.role.rawValue) role may not do this",
                details: ["role": .string(record.role.rawValue), "requiredRole": .string(permission.minimumRole.rawValue)])
        }
        usage?.note(record, now: now)
        return Principal(keyId: record.id, name: record.name, role: record.role)
    }
}
