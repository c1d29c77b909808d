/// Which of a store's configured endpoints its lease stream connects to (ADR 0034): the one whose member leads now,
/// else the first that answered (a follower forwards renewals to the leader). Never a member's advertised client URL:
/// a host may reach the members only at the addresses it was given (a proxy, NAT, another network namespace), and a
/// stream that went around them would also go around whatever the operator put there.
enum EtcdLeaseTarget {
    /// One configured endpoint's answer to a status call: which member answered, whom it takes for the leader, in
    /// which Raft term.
    struct Answer: Equatable, Sendable {
        var endpoint: Int
        var member: String?
        var leader: String?
        var term: Int64 = 0
    }

    /// Whether `answer` alone settles the choice: its member says it leads, so the others need not be waited for (a
    /// member that hangs would hold the choice up to the request deadline).
    static func settles(_ answer: Answer) -> Bool {
        answer.member != nil && answer.member == answer.leader
    }

    /// The endpoint to renew on, from the answers in the order the store tries its endpoints; nil when none answered.
    /// The leader is the one named in the latest term (a member cut off may still name an old one).
    static func choose(_ answers: [Answer]) -> Int? {
        let named = answers.filter { ($0.leader ?? "0") != "0" }
        let latest = named.max { $0.term < $1.term }?.term
        let leader = named.first { $0.term == latest }?.leader
        if let leader, let leading = answers.first(where: { $0.member == leader }) { return leading.endpoint }
        return answers.first?.endpoint
    }
}
