public import Foundation

/// A ULID (https://github.com/ulid/spec): 48 bits of Unix time in milliseconds, then 80 random bits, written as
/// 26 characters of Crockford's base32 (uppercase). ULIDs sort by the time they were made; surface E gives one to
/// every MicroVM as its `uid`.
public struct ULID: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The 16 bytes, most significant first.
    public let bytes: [UInt8]

    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// A ULID for `milliseconds` since 1970 and 10 bytes of randomness (only the first 10 are used).
    public init(milliseconds: UInt64, random: [UInt8]) {
        precondition(random.count >= 10, "a ULID needs 80 random bits")
        var b = [UInt8](repeating: 0, count: 16)
        for i in 0..<6 { b[i] = UInt8(truncatingIfNeeded: milliseconds >> (8 * UInt64(5 - i))) }
        for i in 0..<10 { b[6 + i] = random[i] }
        bytes = b
    }

    /// A new ULID for `date`, with random bits from the system's generator.
    public init(date: Date = Date()) {
        var generator = SystemRandomNumberGenerator()
        let random = (0..<10).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let ms = UInt64(max(0, (date.timeIntervalSince1970 * 1000).rounded(.down)))
        self.init(milliseconds: ms, random: random)
    }

    /// Parses 26 characters of Crockford base32 (either case; `I`/`L` read as 1 and `O` as 0, as the alphabet
    /// allows). Nil for anything else, including a first character above `7` (more than 128 bits).
    public init?(_ text: String) {
        let chars = Array(text.utf8)
        guard chars.count == 26 else { return nil }
        var value: [UInt8] = []
        value.reserveCapacity(26)
        for c in chars {
            guard let v = Self.decode(c) else { return nil }
            value.append(v)
        }
        guard value[0] <= 7 else { return nil }
        // 26 * 5 = 130 bits: the top 2 are zero; pack the low 128 into 16 bytes.
        var b = [UInt8](repeating: 0, count: 16)
        var bit = 0
        for v in value.reversed() {
            for k in 0..<5 where v & (1 << k) != 0 {
                let position = bit + k
                if position < 128 { b[15 - position / 8] |= 1 << (position % 8) }
            }
            bit += 5
        }
        bytes = b
    }

    private static func decode(_ c: UInt8) -> UInt8? {
        var u = c
        if u >= UInt8(ascii: "a") && u <= UInt8(ascii: "z") { u -= 32 }
        switch u {
        case UInt8(ascii: "O"): return 0
        case UInt8(ascii: "I"), UInt8(ascii: "L"): return 1
        default: return alphabet.firstIndex(of: u).map { UInt8($0) }
        }
    }

    /// The milliseconds since 1970 it was made at.
    public var milliseconds: UInt64 { bytes[0..<6].reduce(0) { $0 << 8 | UInt64($1) } }

    /// The 26-character text form, uppercase.
    public var description: String {
        var out = [UInt8](repeating: 0, count: 26)
        // Read 5 bits at a time from the 130-bit number whose low 128 bits are `bytes`.
        for i in 0..<26 {
            let low = (25 - i) * 5
            var v: UInt8 = 0
            for k in 0..<5 {
                let position = low + k
                if position < 128, bytes[15 - position / 8] & (1 << (position % 8)) != 0 { v |= 1 << k }
            }
            out[i] = Self.alphabet[Int(v)]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `text` is a ULID.
    public static func isValid(_ text: String) -> Bool { ULID(text) != nil }
}
