import FlotillaCore
import Foundation
import Testing

/// A failure that repeats is written once, then summarised once its window closes.
@Suite struct RepeatFilterTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func theFirstLineIsWrittenTheRepeatsAreCounted() {
        var filter = RepeatFilter(window: 10)
        var written: [Bool] = []
        written.append(filter.admit("docker down", now: Self.t0))
        for i in 1...250 { written.append(filter.admit("docker down", now: Self.t0 + Double(i) * 0.03)) }
        #expect(written == [true] + Array(repeating: false, count: 250))
        let other = filter.admit("store down", now: Self.t0 + 1)
        #expect(other, "another kind has its own window")
        let early = filter.flush(now: Self.t0 + 9)
        #expect(early.isEmpty, "the window is still open")
        let closed = filter.flush(now: Self.t0 + 10)
        #expect(closed == [RepeatFilter.Summary(key: "docker down", count: 250, seconds: 10)])
        let quiet = filter.flush(now: Self.t0 + 12)
        #expect(quiet.isEmpty, "a window without repeats ends without a summary")
        let again = filter.admit("docker down", now: Self.t0 + 12)
        #expect(again, "after its window the next line is written again")
    }
}
