import FlotillaCore
import Synchronization

/// This host's standing with the store, shared by the membership (which records each lease renewal) and the
/// agent (which fences its instances when renewals stop): a ``SessionFence`` on the monotonic clock.
public final class StoreSession: Sendable {
    public let bounds: FenceBounds
    private let fence: Mutex<SessionFence>

    public init(bounds: FenceBounds) {
        self.bounds = bounds
        self.fence = Mutex(SessionFence(registeredAt: .now))
    }

    /// A renewal (or a write under the lease) sent at `sentAt` succeeded; `revision`: the revision it wrote.
    public func renewed(sentAt: ContinuousClock.Instant, revision: Revision? = nil) {
        fence.withLock { $0.renewed(sentAt: sentAt, revision: revision) }
    }

    /// The phase now; raises the fence when the bound has passed.
    public func phase() -> SessionFence.Phase {
        let now = ContinuousClock.now
        return fence.withLock { $0.phase(now: now, bounds: bounds) }
    }

    /// Whether the host may act on its instances now (``SessionFence/Phase/connected``).
    public var mayAct: Bool { phase() == .connected }

    /// Whether the fence is up and waits for a write made after a renewal (the membership then makes one).
    public var awaitsRejoinWrite: Bool { fence.withLock { $0.isFenced && $0.rejoinRevision == nil } }

    /// How long the store has been silent.
    public var silence: Duration {
        let now = ContinuousClock.now
        return fence.withLock { $0.silence(at: now) }
    }

    /// Lifts the fence once the registry has applied `registryRevision` past the rejoin write.
    public func rejoin(registryRevision: Revision) -> Bool {
        let now = ContinuousClock.now
        return fence.withLock { $0.rejoin(registryRevision: registryRevision, now: now, bounds: bounds) }
    }
}
