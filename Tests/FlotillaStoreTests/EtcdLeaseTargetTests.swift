import Testing

@testable import FlotillaStore

/// Which configured endpoint the lease stream renews on (docs/decisions/0034-heartbeats-at-scale.md).
@Suite("etcd lease stream target")
struct EtcdLeaseTargetTests {
    typealias Answer = EtcdLeaseTarget.Answer

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let answers: [Answer]
        let chosen: Int?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "nobody answered", answers: [], chosen: nil),
        Case(
            name: "the endpoint whose member leads",
            answers: [
                Answer(endpoint: 0, member: "a", leader: "b", term: 3), Answer(endpoint: 1, member: "b", leader: "b", term: 3),
                Answer(endpoint: 2, member: "c", leader: "b", term: 3),
            ],
            chosen: 1),
        Case(
            name: "the leader not among the endpoints: the first that answered",
            answers: [Answer(endpoint: 2, member: "c", leader: "a", term: 4), Answer(endpoint: 0, member: "b", leader: "a", term: 4)],
            chosen: 2),
        Case(
            name: "a cut-off member names an old leader: the latest term's wins",
            answers: [
                Answer(endpoint: 0, member: "a", leader: "a", term: 2), Answer(endpoint: 1, member: "b", leader: "c", term: 5),
                Answer(endpoint: 2, member: "c", leader: "c", term: 5),
            ],
            chosen: 2),
        Case(
            name: "an election under way (no leader named): the first that answered",
            answers: [Answer(endpoint: 1, member: "b", leader: "0", term: 6), Answer(endpoint: 0, member: "a", leader: nil, term: 6)],
            chosen: 1),
        Case(
            name: "one endpoint, a follower",
            answers: [Answer(endpoint: 0, member: "b", leader: "a", term: 1)], chosen: 0),
    ]

    @Test(arguments: cases) func choice(_ c: Case) {
        #expect(EtcdLeaseTarget.choose(c.answers) == c.chosen)
    }

    /// Only a member that names itself the leader ends the wait for the other endpoints' answers.
    @Test func aSelfNamedLeaderSettlesTheChoice() {
        #expect(EtcdLeaseTarget.settles(Answer(endpoint: 1, member: "b", leader: "b", term: 3)))
        #expect(!EtcdLeaseTarget.settles(Answer(endpoint: 0, member: "a", leader: "b", term: 3)))
        #expect(!EtcdLeaseTarget.settles(Answer(endpoint: 0, member: nil, leader: nil)))
        #expect(!EtcdLeaseTarget.settles(Answer(endpoint: 2, member: "c", leader: "0")))
    }
}
