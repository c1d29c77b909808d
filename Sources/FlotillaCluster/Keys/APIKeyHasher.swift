import Crypto
import Foundation

/// The stored form of API key secrets (ADR 0014): the hex HMAC-SHA256 of the secret's SHA-256, under a key
/// derived with HKDF from the cluster secret, which every host of a cluster shares and the store does not
/// hold. A copy of the database alone gives nothing to test guesses against. One SHA-256 and one HMAC per
/// request: authentication stays cheap.
public struct APIKeyHasher: Sendable {
    /// The HMAC key (32 bytes). Kept as bytes: `SymmetricKey` is not `Sendable`.
    private let key: [UInt8]

    public init(clusterSecret: String) {
        let derived = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Data(clusterSecret.utf8)), salt: Data("flotilla".utf8),
            info: Data("flotilla-api-key-hash-v1".utf8), outputByteCount: 32)
        key = derived.withUnsafeBytes { Array($0) }
    }

    /// The stored form of `secret`.
    public func hash(_ secret: String) -> String {
        mac(Array(SHA256.hash(data: Data(secret.utf8))))
    }

    /// The stored form of a key recorded before ADR 0014 as the hex SHA-256 of its secret (nil: not 64 hex
    /// digits). The secret is not needed: the HMAC is taken over its SHA-256.
    public func hash(legacyDigest hex: String) -> String? {
        let digits = Array(hex.utf8)
        guard digits.count == 64 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(32)
        for i in stride(from: 0, to: 64, by: 2) {
            guard let high = Self.nibble(digits[i]), let low = Self.nibble(digits[i + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return mac(bytes)
    }

    /// A value stored beside the keys that tells whether a host hashes with the same key as the hosts that
    /// stored them (a host started with another cluster secret would not find any key).
    public var check: String { mac(Array("flotilla-api-key-hash-check".utf8)) }

    private func mac(_ bytes: [UInt8]) -> String {
        Self.hex(HMAC<SHA256>.authenticationCode(for: bytes, using: SymmetricKey(data: key)))
    }

    /// Lowercase hex of a digest (on the hot path of every request: no per-byte formatting).
    public static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
