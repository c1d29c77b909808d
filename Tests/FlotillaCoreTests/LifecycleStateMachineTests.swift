import FlotillaCore
import Testing

/// The full action x state table (docs/api/surface-a-compute.md, the lifecycle), and the observation graph.
@Suite struct LifecycleStateMachineTests {
    enum Outcome: Sendable, Equatable {
        /// (state shown at once, desired state, target state)
        case accepted(InstanceState, DesiredState, InstanceState)
        case rejected
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var action: LifecycleAction
        var state: InstanceState
        var outcome: Outcome
        init(_ action: LifecycleAction, _ state: InstanceState, _ outcome: Outcome) {
            self.action = action
            self.state = state
            self.outcome = outcome
        }
        var testDescription: String { "\(action.rawValue) from \(state.rawValue)" }
    }

    static let startOK = Outcome.accepted(.starting, .running, .running)
    static let stopOK = Outcome.accepted(.stopping, .stopped, .stopped)
    static let restartOK = Outcome.accepted(.restarting, .running, .running)
    static let pauseOK = Outcome.accepted(.running, .paused, .paused)
    static let resumeOK = Outcome.accepted(.paused, .running, .running)
    static let deleteOK = Outcome.accepted(.deleting, .deleted, .deleted)

    /// Every (action, state) pair: 6 x 11 = 66 rows, each with its expected outcome.
    static let table: [Row] = [
        Row(.start, .pending, .rejected),
        Row(.start, .creating, .rejected),
        Row(.start, .starting, .rejected),
        Row(.start, .running, .rejected),
        Row(.start, .stopping, .rejected),
        Row(.start, .stopped, startOK),
        Row(.start, .paused, .rejected),
        Row(.start, .restarting, .rejected),
        Row(.start, .error, startOK),
        Row(.start, .deleting, .rejected),
        Row(.start, .deleted, .rejected),

        Row(.stop, .pending, .rejected),
        Row(.stop, .creating, .rejected),
        Row(.stop, .starting, .rejected),
        Row(.stop, .running, stopOK),
        Row(.stop, .stopping, .rejected),
        Row(.stop, .stopped, .rejected),
        Row(.stop, .paused, stopOK),
        Row(.stop, .restarting, .rejected),
        Row(.stop, .error, stopOK),
        Row(.stop, .deleting, .rejected),
        Row(.stop, .deleted, .rejected),

        Row(.restart, .pending, .rejected),
        Row(.restart, .creating, .rejected),
        Row(.restart, .starting, .rejected),
        Row(.restart, .running, restartOK),
        Row(.restart, .stopping, .rejected),
        Row(.restart, .stopped, .rejected),
        Row(.restart, .paused, .rejected),
        Row(.restart, .restarting, .rejected),
        Row(.restart, .error, .rejected),
        Row(.restart, .deleting, .rejected),
        Row(.restart, .deleted, .rejected),

        Row(.pause, .pending, .rejected),
        Row(.pause, .creating, .rejected),
        Row(.pause, .starting, .rejected),
        Row(.pause, .running, pauseOK),
        Row(.pause, .stopping, .rejected),
        Row(.pause, .stopped, .rejected),
        Row(.pause, .paused, .rejected),
        Row(.pause, .restarting, .rejected),
        Row(.pause, .error, .rejected),
        Row(.pause, .deleting, .rejected),
        Row(.pause, .deleted, .rejected),

        Row(.resume, .pending, .rejected),
        Row(.resume, .creating, .rejected),
        Row(.resume, .starting, .rejected),
        Row(.resume, .running, .rejected),
        Row(.resume, .stopping, .rejected),
        Row(.resume, .stopped, .rejected),
        Row(.resume, .paused, resumeOK),
        Row(.resume, .restarting, .rejected),
        Row(.resume, .error, .rejected),
        Row(.resume, .deleting, .rejected),
        Row(.resume, .deleted, .rejected),

        Row(.delete, .pending, deleteOK),
        Row(.delete, .creating, deleteOK),
        Row(.delete, .starting, deleteOK),
        Row(.delete, .running, deleteOK),
        Row(.delete, .stopping, deleteOK),
        Row(.delete, .stopped, deleteOK),
        Row(.delete, .paused, deleteOK),
        Row(.delete, .restarting, deleteOK),
        Row(.delete, .error, deleteOK),
        Row(.delete, .deleting, .rejected),
        Row(.delete, .deleted, .rejected),
    ]

    @Test func tableCoversEveryActionAndStateOnce() {
        #expect(Self.table.count == LifecycleAction.allCases.count * InstanceState.allCases.count)
        for action in LifecycleAction.allCases {
            for state in InstanceState.allCases {
                #expect(
                    Self.table.filter { $0.action == action && $0.state == state }.count == 1,
                    "\(action) x \(state) must appear exactly once")
            }
        }
    }

    @Test(arguments: table)
    func request(_ row: Row) throws {
        #expect(LifecycleStateMachine.accepts(row.action, in: row.state) == (row.outcome != .rejected))
        switch row.outcome {
        case .accepted(let state, let desired, let target):
            let accepted = try LifecycleStateMachine.request(row.action, from: row.state, instanceId: "i-1")
            #expect(accepted.state == state)
            #expect(accepted.desired == desired)
            #expect(accepted.target == target)
        case .rejected:
            let error = #expect(throws: FlotillaError.self) {
                try LifecycleStateMachine.request(row.action, from: row.state, instanceId: "i-1")
            }
            #expect(error?.code == .invalidState)
            #expect(error?.details["currentState"] == .string(row.state.rawValue))
            #expect(error?.details["requestedAction"] == .string(row.action.rawValue))
            #expect(error?.details["id"] == "i-1")
        }
    }

    /// An accepted action must be completable: the host can report the target right after the shown state.
    @Test(arguments: table.filter { $0.outcome != .rejected })
    func acceptedActionsReachTheirTargetInOneObservation(_ row: Row) throws {
        let accepted = try LifecycleStateMachine.request(row.action, from: row.state)
        #expect(LifecycleStateMachine.observe(from: accepted.state, to: accepted.target))
    }

    // MARK: - Observations

    typealias Edge = LifecycleStateMachine.Edge

    /// Every change a host may report, written out (self-loops aside).
    static let allowed: [Edge] = [
        // The lifecycle graph (docs/api/surface-a-compute.md, the lifecycle).
        Edge(.pending, .creating),
        Edge(.creating, .running), Edge(.creating, .stopped),
        Edge(.starting, .running), Edge(.starting, .stopped),
        Edge(.running, .stopping), Edge(.stopping, .stopped),
        Edge(.running, .stopped),
        Edge(.running, .paused), Edge(.paused, .running),
        Edge(.paused, .stopped),
        Edge(.running, .restarting), Edge(.restarting, .running),
        Edge(.stopped, .starting),
        Edge(.deleting, .deleted),
        // any -> error (except from deleted).
        Edge(.pending, .error), Edge(.creating, .error), Edge(.starting, .error), Edge(.running, .error),
        Edge(.stopping, .error), Edge(.stopped, .error), Edge(.paused, .error), Edge(.restarting, .error),
        Edge(.deleting, .error),
        // any -> deleting (except from deleted).
        Edge(.pending, .deleting), Edge(.creating, .deleting), Edge(.starting, .deleting),
        Edge(.running, .deleting), Edge(.stopping, .deleting), Edge(.stopped, .deleting),
        Edge(.paused, .deleting), Edge(.restarting, .deleting), Edge(.error, .deleting),
        // Recovery from error.
        Edge(.error, .stopped), Edge(.error, .running), Edge(.error, .starting),
        // Between the settled states: whatever the backend really did, whoever did it (a `docker start`, a
        // `docker pause` or a QMP `stop` behind Flotilla's back).
        Edge(.stopped, .running), Edge(.stopped, .paused), Edge(.error, .paused),
    ]

    static let rejected: [Edge] = [
        Edge(.deleted, .running), Edge(.deleted, .error), Edge(.deleted, .deleting), Edge(.deleted, .pending),
        Edge(.stopped, .restarting),
        Edge(.pending, .running), Edge(.pending, .stopped), Edge(.pending, .deleted),
        Edge(.running, .starting), Edge(.running, .pending), Edge(.running, .deleted),
        Edge(.paused, .restarting), Edge(.paused, .stopping),
        Edge(.stopping, .running), Edge(.restarting, .stopped), Edge(.creating, .starting),
        Edge(.error, .deleted), Edge(.deleting, .running), Edge(.deleting, .stopped),
    ]

    @Test(arguments: allowed)
    func allowedObservation(_ edge: Edge) {
        #expect(LifecycleStateMachine.observe(from: edge.from, to: edge.to))
    }

    @Test(arguments: rejected)
    func rejectedObservation(_ edge: Edge) {
        #expect(!LifecycleStateMachine.observe(from: edge.from, to: edge.to))
    }

    @Test(arguments: InstanceState.allCases)
    func reportingTheSameStateIsAlwaysAllowed(_ state: InstanceState) {
        #expect(LifecycleStateMachine.observe(from: state, to: state))
    }

    /// Nothing outside the written-out list (and self-loops) is allowed.
    @Test func everyOtherObservationIsRejected() {
        let allowed = Set(Self.allowed)
        for from in InstanceState.allCases {
            for to in InstanceState.allCases where from != to {
                #expect(
                    LifecycleStateMachine.observe(from: from, to: to) == allowed.contains(Edge(from, to)),
                    "\(from) -> \(to)")
            }
        }
    }

    @Test(arguments: [
        (InstanceState.pending, true), (.creating, true), (.starting, true), (.running, false), (.stopping, true),
        (.stopped, false), (.paused, false), (.restarting, true), (.error, false), (.deleting, true),
        (.deleted, false),
    ])
    func transitionalStates(_ state: InstanceState, _ transitional: Bool) {
        #expect(state.isTransitional == transitional)
    }
}
