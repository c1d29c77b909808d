import FlotillaCore
import Testing

@Suite struct LeaderWatchTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var probes: [(ProbeOutcome, Revision)]
        /// The decision after each probe.
        var depose: [Bool]
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        Row(
            name: "reached, then refused twice: depose", probes: [(.answered, 5), (.refused, 5), (.refused, 5)],
            depose: [false, false, true]),
        Row(
            name: "never reached (a wrong address): never depose", probes: [(.refused, 5), (.refused, 5), (.refused, 5)],
            depose: [false, false, false]),
        Row(
            name: "a silent probe breaks the run of refusals", probes: [(.answered, 5), (.refused, 5), (.silent, 5), (.refused, 5)],
            depose: [false, false, false, false]),
        Row(
            name: "an answer between refusals starts over", probes: [(.answered, 5), (.refused, 5), (.answered, 5), (.refused, 5)],
            depose: [false, false, false, false]),
        Row(
            name: "a new term forgets the old leader was reached", probes: [(.answered, 5), (.refused, 9), (.refused, 9)],
            depose: [false, false, false]),
        Row(
            name: "a new leader reached and gone: depose it too",
            probes: [(.answered, 5), (.answered, 9), (.refused, 9), (.refused, 9)], depose: [false, false, false, true]),
    ]

    @Test("the decision after each probe", arguments: rows)
    func decisions(_ row: Row) {
        var watch = LeaderWatch(threshold: 2)
        let decisions = row.probes.map { watch.record($0.0, term: $0.1) }
        #expect(decisions == row.depose)
    }
}
