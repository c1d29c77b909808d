import FlotillaCore

/// Proof of leadership: every leader-only write carries ``fence``, so a deposed leader's late writes fail.
public struct Leadership: Sendable, Equatable {
    public var hostId: String
    public var lease: LeaseID
    /// The create revision of the leader key this host wrote. A new leader's key has another one.
    public var createRevision: Revision

    public init(hostId: String, lease: LeaseID, createRevision: Revision) {
        self.hostId = hostId
        self.lease = lease
        self.createRevision = createRevision
    }

    /// The compare every leader-only transaction includes.
    public var fence: Compare { Compare(key: StoreKeys.leader, target: .createRevision(createRevision)) }
}

/// Work only the leader does, for as long as it leads.
public protocol LeaderDuty: Sendable {
    var name: String { get }
    /// Runs until cancelled (leadership lost or shutdown).
    func lead(_ leadership: Leadership) async throws
}

extension ClusterStore {
    /// A leader-only transaction: `compares` plus the leadership's fence. Returns whether it applied; throws
    /// `CancellationError` when it failed because this host no longer leads, so the duty stops writing.
    func fencedTxn(_ leadership: Leadership, _ compares: [Compare], then ops: [TxnOp]) async throws -> Bool {
        let result = try await txn([leadership.fence] + compares, then: ops, otherwise: [.get(key: StoreKeys.leader)])
        if result.succeeded { return true }
        if case .get(let leader)? = result.results.first, leader?.createRevision != leadership.createRevision {
            throw CancellationError()
        }
        return false
    }
}
