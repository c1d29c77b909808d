import FlotillaCore
import Testing

/// The fence's timing argument (docs/decisions/0016-self-fencing.md), checked at start.
@Suite struct FenceBoundsTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var ttl: Double, fenceAfter: Double, stop: Double, grace: Double
        /// Substrings of the problems expected; empty: the bounds keep their order.
        var problems: [String]
        var testDescription: String { name }
    }

    static func d(_ s: Double) -> Duration { .milliseconds(Int64(s * 1000)) }

    static let rows: [Row] = [
        Row(name: "the defaults hold", ttl: 3, fenceAfter: 5, stop: 4, grace: 15, problems: []),
        Row(name: "the tests' fast set holds", ttl: 2, fenceAfter: 2, stop: 1, grace: 6, problems: []),
        Row(
            name: "the old test setting (grace 1 s) is refused", ttl: 3, fenceAfter: 5, stop: 4, grace: 1,
            problems: ["--reschedule-after (1 s) is too short", "use at least 12 s"]),
        Row(
            name: "fence before the lease can have expired", ttl: 3, fenceAfter: 2, stop: 1, grace: 15,
            problems: ["--fence-after (2 s) must be at least --lease-ttl (3 s)"]),
        Row(name: "fence plus stop equal to the grace: too tight", ttl: 3, fenceAfter: 5, stop: 5, grace: 10, problems: ["too short"]),
        Row(
            name: "clock-rate error and margin count: 9 s of fence in 10.9 s of grace fails", ttl: 3, fenceAfter: 5, stop: 4, grace: 10.9,
            problems: ["too short"]),
        Row(name: "11.1 s of grace for 9 s of fence holds", ttl: 3, fenceAfter: 5, stop: 4, grace: 11.1, problems: []),
        Row(name: "no grace at all", ttl: 3, fenceAfter: 5, stop: 4, grace: 0, problems: ["too short"]),
        Row(name: "a zero stop timeout", ttl: 3, fenceAfter: 5, stop: 0, grace: 15, problems: ["--fence-stop-timeout must be more than 0"]),
        Row(name: "a sub-second lease", ttl: 0.5, fenceAfter: 5, stop: 4, grace: 15, problems: ["--lease-ttl must be at least 1 second"]),
    ]

    @Test("bounds are accepted only when the fence ends before any replacement can be placed", arguments: rows)
    func order(_ row: Row) {
        let bounds = FenceBounds(
            leaseTTL: Self.d(row.ttl), fenceAfter: Self.d(row.fenceAfter), fenceStopTimeout: Self.d(row.stop),
            rescheduleGrace: Self.d(row.grace))
        let problems = bounds.problems
        if row.problems.isEmpty {
            #expect(problems.isEmpty, "\(problems)")
            #expect(bounds.fencedWithin < bounds.replacedNoSoonerThan)
        } else {
            #expect(problems.count == row.problems.filter { !$0.hasPrefix("use at least") }.count, "\(problems)")
            for expected in row.problems {
                #expect(problems.contains { $0.contains(expected) }, "\(expected) in \(problems)")
            }
        }
    }

    @Test("the defaults' figures: fenced within 10.45 s of the last renewal, replaced no sooner than 14.25 s")
    func defaultFigures() {
        #expect(FenceBounds.default.fencedWithin == .milliseconds(10_450))
        #expect(FenceBounds.default.replacedNoSoonerThan == .milliseconds(14_250))
    }
}
