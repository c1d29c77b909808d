/// An `Idempotency-Key`, as digests computed by the surface.
public struct IdempotencyToken: Sendable, Equatable {
    /// Digest of the key (used as the store key).
    public var keyDigest: String
    /// Digest of the request body: the same key with another body is refused.
    public var requestDigest: String
    public init(keyDigest: String, requestDigest: String) {
        self.keyDigest = keyDigest
        self.requestDigest = requestDigest
    }
}
