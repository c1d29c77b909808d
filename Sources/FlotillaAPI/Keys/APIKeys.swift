import Foundation

/// Wire types of the key management routes, `/api/v1/keys` (admin only).
public enum Keys {
    /// `POST /api/v1/keys`.
    public struct CreateRequest: Codable, Sendable, Equatable {
        public var name: String?
        /// `admin`, `operator` or `reader`.
        public var role: String?
        /// When the key stops working (RFC 3339, in the future, at most 5 years ahead); nil: never (ADR 0019).
        public var expiresAt: Date?
        public init(name: String?, role: String?, expiresAt: Date? = nil) {
            self.name = name
            self.role = role
            self.expiresAt = expiresAt
        }
    }

    /// `POST /api/v1/keys/{id}/rotate` (ADR 0019): every field optional.
    public struct RotateRequest: Codable, Sendable, Equatable {
        /// Seconds the old key keeps working (0: it stops at once; default 3600; at most 30 days).
        public var grace: Int?
        /// The new key's name; default: the old name with a rotation suffix (`ci` → `ci-r2` → `ci-r3`).
        public var name: String?
        /// The new key's expiry; nil: never.
        public var expiresAt: Date?
        public init(grace: Int? = nil, name: String? = nil, expiresAt: Date? = nil) {
            self.grace = grace
            self.name = name
            self.expiresAt = expiresAt
        }
    }

    /// The reply to a rotation: the new key with its secret (shown this once), and the old key with its new
    /// expiry.
    public struct Rotated: Codable, Sendable, Equatable {
        public var key: Created
        public var rotated: Key
        public init(key: Created, rotated: Key) {
            self.key = key
            self.rotated = rotated
        }
    }

    /// A key as listed: never the secret, nor any part of it (ADR 0014).
    public struct Key: Codable, Sendable, Equatable {
        public var id: String
        public var name: String
        public var role: String
        /// The first 8 hex digits of the key's stored HMAC: tells keys apart, reveals nothing of the secret.
        public var fingerprint: String
        public var createdAt: Date
        /// When the key stops (or stopped) working; nil: never.
        public var expiresAt: Date?
        /// Whether the key has expired (it answers 401 until revoked, and stays listed).
        public var expired: Bool
        /// When a host last saw the key used (recorded at most once a minute per host); nil: never seen.
        public var lastUsedAt: Date?
        /// The id of the key this one replaced by a rotation.
        public var rotatedFrom: String?
        /// The id of the key that replaced this one.
        public var rotatedTo: String?
        public init(
            id: String, name: String, role: String, fingerprint: String, createdAt: Date, expiresAt: Date? = nil,
            expired: Bool = false, lastUsedAt: Date? = nil, rotatedFrom: String? = nil, rotatedTo: String? = nil
        ) {
            self.id = id
            self.name = name
            self.role = role
            self.fingerprint = fingerprint
            self.createdAt = createdAt
            self.expiresAt = expiresAt
            self.expired = expired
            self.lastUsedAt = lastUsedAt
            self.rotatedFrom = rotatedFrom
            self.rotatedTo = rotatedTo
        }
    }

    /// The reply to a create: the only time the secret is shown.
    public struct Created: Codable, Sendable, Equatable {
        public var id: String
        public var name: String
        public var role: String
        public var fingerprint: String
        public var createdAt: Date
        public var expiresAt: Date?
        public var expired: Bool
        public var rotatedFrom: String?
        public var key: String
        public init(key: Key, secret: String) {
            self.id = key.id
            self.name = key.name
            self.role = key.role
            self.fingerprint = key.fingerprint
            self.createdAt = key.createdAt
            self.expiresAt = key.expiresAt
            self.expired = key.expired
            self.rotatedFrom = key.rotatedFrom
            self.key = secret
        }
    }

    public struct List: Codable, Sendable, Equatable {
        public var keys: [Key]
        public var total: Int
        public init(keys: [Key]) {
            self.keys = keys
            self.total = keys.count
        }
    }
}
