import FlotillaCore
import Foundation
import Testing

@Suite("ULID")
struct ULIDTests {
    /// Known encodings: time, randomness and the text the spec gives for them.
    @Test(
        arguments: [
            (UInt64(0), [UInt8](repeating: 0, count: 10), "00000000000000000000000000"),
            (UInt64(1_469_922_850_259), [UInt8](repeating: 0, count: 10), "01ARZ3NDEK0000000000000000"),
            (UInt64(0xFFFF_FFFF_FFFF), [UInt8](repeating: 0xFF, count: 10), "7ZZZZZZZZZZZZZZZZZZZZZZZZZ"),
            (UInt64(1), [0, 0, 0, 0, 0, 0, 0, 0, 0, 1], "00000000010000000000000001"),
        ])
    func encodes(milliseconds: UInt64, random: [UInt8], text: String) throws {
        let ulid = ULID(milliseconds: milliseconds, random: random)
        #expect(ulid.description == text)
        let parsed = try #require(ULID(text))
        #expect(parsed == ulid)
        #expect(parsed.milliseconds == milliseconds)
    }

    @Test(
        arguments: [
            ("", false), ("01ARYZ6S4K0000000000000000", true), ("01aryz6s4k0000000000000000", true),
            ("01ARYZ6S4K000000000000000", false), ("01ARYZ6S4K00000000000000000", false),
            ("8ZZZZZZZZZZZZZZZZZZZZZZZZZ", false), ("01ARYZ6S4K000000000000000U", false),
            ("0b9f2a3c-8a6e-4f0e-9b1a-2c3d4e5f6a7b", false), ("default", false),
        ])
    func validates(text: String, valid: Bool) {
        #expect(ULID.isValid(text) == valid)
    }

    @Test func newOnesAreUniqueAndCarryTheirTime() {
        let date = Date(timeIntervalSince1970: 1_700_000_000.123)
        let ids = (0..<200).map { _ in ULID(date: date) }
        #expect(Set(ids.map(\.description)).count == 200)
        #expect(ids.allSatisfy { $0.milliseconds == 1_700_000_000_123 })
        #expect(ids.allSatisfy { ULID($0.description) == $0 })
    }
}
