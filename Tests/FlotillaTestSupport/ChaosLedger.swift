import Synchronization

/// What a chaos run's clients and fault loop did, shared between their tasks: the acknowledged creates and
/// deletes (what the end-of-run checks hold the cluster to), every operation's outcome by kind, the faults
/// injected by kind, and what went wrong in the harness itself (a host that would not start again).
public final class ChaosLedger: Sendable {
    /// How the calls of one kind ended.
    public struct Outcomes: Sendable, Equatable {
        /// Answered 2xx.
        public var acknowledged = 0
        /// Answered 4xx: refused for a reason the client can see (an action the state does not allow, a busy instance).
        public var refused = 0
        /// No answer, a 5xx, or the deadline passed: the client cannot know whether it happened.
        public var failed = 0
        /// Drawn, but there was nothing to act on (no instance of this client's yet, or the live bound reached).
        public var skipped = 0
    }

    /// How a call ended.
    public enum Outcome: Sendable { case acknowledged, refused, failed, skipped }

    struct State {
        var creates: Set<String> = []
        var deletes: Set<String> = []
        var uncertainDeletes: Set<String> = []
        var operations: [String: Outcomes] = [:]
        var faults: [String: Int] = [:]
        var harnessErrors: [String] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// Counts one call of `kind` that ended with `outcome`.
    public func record(_ kind: String, _ outcome: Outcome) {
        state.withLock { state in
            switch outcome {
            case .acknowledged: state.operations[kind, default: .init()].acknowledged += 1
            case .refused: state.operations[kind, default: .init()].refused += 1
            case .failed: state.operations[kind, default: .init()].failed += 1
            case .skipped: state.operations[kind, default: .init()].skipped += 1
            }
        }
    }

    /// An acknowledged create of instance `id`.
    public func created(_ id: String) { state.withLock { _ = $0.creates.insert(id) } }

    /// An acknowledged delete of instance `id`.
    public func deleted(_ id: String) { state.withLock { _ = $0.deletes.insert(id) } }

    /// A delete of instance `id` whose outcome the client cannot know (no answer, a 5xx, the deadline): the store
    /// may have committed it before the answer was lost, so the instance may or may not be there at the end.
    public func maybeDeleted(_ id: String) { state.withLock { _ = $0.uncertainDeletes.insert(id) } }

    /// A fault of `kind` injected.
    public func injected(_ kind: String) { state.withLock { $0.faults[kind, default: 0] += 1 } }

    /// Something the harness could not do (the run fails on it: its invariants would not mean much).
    public func harnessError(_ text: String) { state.withLock { $0.harnessErrors.append(text) } }

    /// Acknowledged creates, less those whose only delete had an unknown outcome (they may rightly be gone).
    public var acknowledgedCreates: Set<String> {
        state.withLock { $0.creates.subtracting($0.uncertainDeletes.subtracting($0.deletes)) }
    }
    /// Deletes with an unknown outcome and no acknowledged delete after them.
    public var uncertainDeletes: Set<String> { state.withLock { $0.uncertainDeletes.subtracting($0.deletes) } }
    public var acknowledgedDeletes: Set<String> { state.withLock { $0.deletes } }
    /// Acknowledged creates not followed by a delete (acknowledged or of unknown outcome).
    public var live: Int { state.withLock { $0.creates.subtracting($0.deletes).subtracting($0.uncertainDeletes).count } }
    public var operations: [String: Outcomes] { state.withLock { $0.operations } }
    public var faults: [String: Int] { state.withLock { $0.faults } }
    public var harnessErrors: [String] { state.withLock { $0.harnessErrors } }
}
