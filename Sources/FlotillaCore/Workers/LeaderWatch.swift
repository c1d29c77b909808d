/// What one probe of the leader's address found.
public enum ProbeOutcome: Sendable, Equatable {
    /// A TCP connection was accepted: the leader's process listens.
    case answered
    /// The connection was refused: the host is up but nothing listens on the leader's port.
    case refused
    /// No answer within the deadline, or any other failure: says nothing certain, the lease decides.
    case silent
}

/// Decides, from successive probes of one leader term, when a follower may delete the leader key instead of
/// waiting for the lease to expire: only after it has once reached the leader at its address (so a wrong
/// `--advertise` never deposes anyone) and then seen `threshold` refusals in a row (its process is gone).
/// Deposing is safe whatever this decides: every leader-only write is fenced on the key's create revision.
public struct LeaderWatch: Sendable, Equatable {
    public let threshold: Int
    public private(set) var term: Revision?
    public private(set) var reached = false
    public private(set) var refusals = 0

    public init(threshold: Int = 2) {
        self.threshold = threshold
    }

    /// Records a probe of the leader whose key has create revision `term`; returns whether to depose it.
    public mutating func record(_ outcome: ProbeOutcome, term: Revision) -> Bool {
        if term != self.term {
            self.term = term
            reached = false
            refusals = 0
        }
        switch outcome {
        case .answered:
            reached = true
            refusals = 0
        case .refused:
            refusals += 1
        case .silent:
            refusals = 0
        }
        return reached && refusals >= threshold
    }
}
