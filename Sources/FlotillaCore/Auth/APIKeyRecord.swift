public import Foundation

/// A stored API key (ADR 0014). The secret itself is never stored and never shown after creation: the record
/// keeps a keyed hash of it, and listings tell keys apart by id, name and ``fingerprint``.
public struct APIKeyRecord: Sendable, Codable, Equatable, Hashable, Identifiable {
    public var id: String
    public var name: String
    public var role: Role
    /// The stored form of the secret, in lowercase hex, as ``hashScheme`` says; also the last part of the key's
    /// store key (`/flotilla/apikeys/<secretHash>`).
    public var secretHash: String
    /// How ``secretHash`` was made.
    public var hashScheme: APIKeyHashScheme
    public var createdAt: Date
    /// When the key stops working (ADR 0019); nil: never. A rotation sets it on the old key.
    public var expiresAt: Date?
    /// When a host last saw the key used, to the minute (each host records it at most once a minute).
    public var lastUsedAt: Date?
    /// The id of the key this one replaced by a rotation.
    public var rotatedFrom: String?
    /// The id of the key that replaced this one by a rotation.
    public var rotatedTo: String?

    public init(
        id: String, name: String, role: Role, secretHash: String, hashScheme: APIKeyHashScheme = .hmacSHA256, createdAt: Date,
        expiresAt: Date? = nil, lastUsedAt: Date? = nil, rotatedFrom: String? = nil, rotatedTo: String? = nil
    ) {
        self.id = id
        self.name = name
        self.role = role
        self.secretHash = secretHash
        self.hashScheme = hashScheme
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.lastUsedAt = lastUsedAt
        self.rotatedFrom = rotatedFrom
        self.rotatedTo = rotatedTo
    }

    /// The first 8 hex digits of the keyed hash: tells keys apart in listings and logs, and says nothing of the
    /// secret without the cluster's hashing key.
    public var fingerprint: String { String(secretHash.prefix(8)) }

    /// Records written before ADR 0014 have no `hashScheme` (their hash is a plain SHA-256) and a `prefix` of
    /// the secret, which is not read; records written before ADR 0019 have no expiry, last use or rotation.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        role = try c.decode(Role.self, forKey: .role)
        secretHash = try c.decode(String.self, forKey: .secretHash)
        hashScheme = try c.decodeIfPresent(APIKeyHashScheme.self, forKey: .hashScheme) ?? .sha256
        createdAt = try c.decode(Date.self, forKey: .createdAt)
        expiresAt = try c.decodeIfPresent(Date.self, forKey: .expiresAt)
        lastUsedAt = try c.decodeIfPresent(Date.self, forKey: .lastUsedAt)
        rotatedFrom = try c.decodeIfPresent(String.self, forKey: .rotatedFrom)
        rotatedTo = try c.decodeIfPresent(String.self, forKey: .rotatedTo)
    }
}

/// How an API key's secret is stored (ADR 0014).
public enum APIKeyHashScheme: String, Sendable, Codable, Equatable, Hashable {
    /// The hex SHA-256 of the secret: records written before ADR 0014, rewritten as ``hmacSHA256`` when a host
    /// starts.
    case sha256
    /// The hex HMAC-SHA256, under a key derived from the cluster secret, of the secret's SHA-256.
    case hmacSHA256 = "hmac-sha256"
}
