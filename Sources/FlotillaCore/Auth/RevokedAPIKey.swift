public import Foundation

/// What stays of a revoked API key (ADR 0014): a tombstone under the key's hash, so that a secret given again
/// (`serve --api-key`) is not made a key again. Kept outside the registry's prefix: read only when a secret is
/// stored.
public struct RevokedAPIKey: Sendable, Codable, Equatable {
    public var id: String
    public var name: String
    public var revokedAt: Date

    public init(id: String, name: String, revokedAt: Date) {
        self.id = id
        self.name = name
        self.revokedAt = revokedAt
    }

    /// Where tombstones live in the cluster store (outside `StoreKeys.root`: the registry does not reduce them).
    public static let storePrefix = "/flotilla-keys/revoked/"

    /// The tombstone of the key whose secret hashes to `hash`.
    public static func storeKey(hash: String) -> String { storePrefix + hash }
}
