import FlotillaCore
import Foundation
import Testing

@Suite struct CompareTests {
    /// The stored key: value "m", version 3, created at 5, last written at 7.
    static let kv = KeyValue(key: "/k", value: Data("m".utf8), createRevision: 5, modRevision: 7, version: 3)

    enum Kind: String, Sendable, CaseIterable { case value, version, createRevision, modRevision }
    /// Where the stored field stands relative to the compared one.
    enum Position: Sendable, CaseIterable { case storedBelow, storedEqual, storedAbove }

    static func target(_ kind: Kind, _ position: Position) -> Compare.Target {
        switch (kind, position) {
        case (.value, .storedBelow): return .value(Data("n".utf8))
        case (.value, .storedEqual): return .value(Data("m".utf8))
        case (.value, .storedAbove): return .value(Data("l".utf8))
        case (.version, .storedBelow): return .version(4)
        case (.version, .storedEqual): return .version(3)
        case (.version, .storedAbove): return .version(2)
        case (.createRevision, .storedBelow): return .createRevision(6)
        case (.createRevision, .storedEqual): return .createRevision(5)
        case (.createRevision, .storedAbove): return .createRevision(4)
        case (.modRevision, .storedBelow): return .modRevision(8)
        case (.modRevision, .storedEqual): return .modRevision(7)
        case (.modRevision, .storedAbove): return .modRevision(6)
        }
    }

    /// The expected result of each op for each position: the same for every target kind.
    static let expected: [(Compare.Op, [Position: Bool])] = [
        (.equal, [.storedBelow: false, .storedEqual: true, .storedAbove: false]),
        (.notEqual, [.storedBelow: true, .storedEqual: false, .storedAbove: true]),
        (.less, [.storedBelow: true, .storedEqual: false, .storedAbove: false]),
        (.greater, [.storedBelow: false, .storedEqual: false, .storedAbove: true]),
    ]

    @Test(arguments: Kind.allCases)
    func everyOpAgainstAnExistingKey(_ kind: Kind) {
        for (op, results) in Self.expected {
            for position in Position.allCases {
                let compare = Compare(key: "/k", target: Self.target(kind, position), op: op)
                #expect(compare.evaluate(Self.kv) == results[position], "\(kind) \(op) \(position)")
            }
        }
    }

    @Test func valueComparesBytesLexicographically() {
        let longer = Compare(key: "/k", target: .value(Data("ma".utf8)), op: .less)
        #expect(longer.evaluate(Self.kv), "\"m\" sorts before \"ma\"")
    }

    /// A missing key has version 0, create and mod revision 0; a value compare against it is always false.
    @Test(arguments: [
        (Compare.Target.value(Data()), Compare.Op.equal, false),
        (.value(Data()), .notEqual, false),
        (.value(Data("a".utf8)), .less, false),
        (.value(Data("a".utf8)), .greater, false),
        (.version(0), .equal, true),
        (.version(0), .notEqual, false),
        (.version(1), .less, true),
        (.version(0), .greater, false),
        (.createRevision(0), .equal, true),
        (.createRevision(0), .notEqual, false),
        (.createRevision(1), .less, true),
        (.createRevision(0), .greater, false),
        (.modRevision(0), .equal, true),
        (.modRevision(5), .notEqual, true),
        (.modRevision(5), .less, true),
        (.modRevision(0), .greater, false),
    ])
    func everyOpAgainstAMissingKey(_ target: Compare.Target, _ op: Compare.Op, _ expected: Bool) {
        #expect(Compare(key: "/missing", target: target, op: op).evaluate(nil) == expected)
    }

    @Test func helpers() {
        #expect(Compare.absent("/k").evaluate(nil))
        #expect(!Compare.absent("/k").evaluate(Self.kv))
        #expect(Compare.unchanged("/k", since: 7).evaluate(Self.kv))
        #expect(!Compare.unchanged("/k", since: 6).evaluate(Self.kv))
        #expect(Compare.holds("/k", Data("m".utf8)).evaluate(Self.kv))
        #expect(!Compare.holds("/k", Data("m".utf8)).evaluate(nil))
    }
}
