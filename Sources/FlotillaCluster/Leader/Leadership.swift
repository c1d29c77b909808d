import FlotillaCore
import Synchronization

/// Proof of leadership: every leader-only write carries ``fence``, so a deposed leader's late writes fail, and is
/// made only while ``holds`` (the lease certainly holds on this host's clock), so a leader that was stopped or cut
/// off past its TTL does not even try.
public struct Leadership: Sendable, Equatable {
    public var hostId: String
    public var lease: LeaseID
    /// The create revision of the leader key this host wrote. A new leader's key has another one.
    public var createRevision: Revision
    private let hold: LeaderLeaseClock

    public init(
        hostId: String, lease: LeaseID, createRevision: Revision, ttl: Duration = .seconds(3),
        grantedAt: ContinuousClock.Instant = .now
    ) {
        self.hostId = hostId
        self.lease = lease
        self.createRevision = createRevision
        self.hold = LeaderLeaseClock(LeaseHold(ttl: ttl, grantedAt: grantedAt))
    }

    /// The compare every leader-only transaction includes.
    public var fence: Compare { Compare(key: StoreKeys.leader, target: .createRevision(createRevision)) }

    /// Whether the lease certainly holds now, on this host's monotonic clock.
    public var holds: Bool { hold.state.withLock { $0.holds(at: .now) } }

    /// A renewal sent at `sentAt` succeeded.
    public func renewed(sentAt: ContinuousClock.Instant) { hold.state.withLock { $0.renewed(sentAt: sentAt) } }

    public static func == (a: Leadership, b: Leadership) -> Bool {
        a.hostId == b.hostId && a.lease == b.lease && a.createRevision == b.createRevision
    }
}

/// The renewal clock of one leadership term, shared by its copies.
final class LeaderLeaseClock: Sendable {
    let state: Mutex<LeaseHold>
    init(_ hold: LeaseHold) { state = Mutex(hold) }
}

/// Work only the leader does, for as long as it leads.
public protocol LeaderDuty: Sendable {
    var name: String { get }
    /// Runs until cancelled (leadership lost or shutdown).
    func lead(_ leadership: Leadership) async throws
}

extension ClusterStore {
    /// A leader-only transaction: `compares` plus the leadership's fence. Returns whether it applied; throws
    /// `CancellationError` when this host no longer leads (its lease lapsed on its own clock, or the store's
    /// leader key is another's), so the duty stops writing.
    func fencedTxn(_ leadership: Leadership, _ compares: [Compare], then ops: [TxnOp]) async throws -> Bool {
        guard leadership.holds else { throw LeadershipLapsed() }
        let result = try await txn([leadership.fence] + compares, then: ops, otherwise: [.get(key: StoreKeys.leader)])
        if result.succeeded { return true }
        if case .get(let leader)? = result.results.first, leader?.createRevision != leadership.createRevision {
            throw CancellationError()
        }
        return false
    }
}

/// Thrown by a leader-only write when the leader's lease has lapsed on its own clock: the term ends.
public struct LeadershipLapsed: Error, CustomStringConvertible {
    public var description: String { "the leader lease lapsed on this host's clock" }
}
