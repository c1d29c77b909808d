/// How workers find a dead peer within seconds at a cost per worker that does not grow with the fleet
/// (docs/decisions/0035-peer-probes.md): each worker pings the next ``watchers`` workers of a ring every ``period``;
/// one silent for ``suspectAfter`` is pinged through ``helpers`` other workers as well (SWIM's indirect probe), and
/// one that none of them reached within ``helperWait`` is unreachable: its watcher deletes its heartbeat.
public struct PeerProbePlan: Sendable, Equatable {
    /// How often a watcher pings each worker it watches.
    public var period: Duration
    /// How often a watcher looks at what it heard (the granularity of the decisions).
    public var tick: Duration
    /// How long a watched worker may stay silent before the helpers are asked.
    public var suspectAfter: Duration
    /// How long the helpers have to reach it.
    public var helperWait: Duration
    /// How many workers watch each worker (its predecessors on the ring): a batch of deaths rarely takes them all.
    public var watchers: Int
    /// How many other workers are asked to ping a silent one, so that a watcher's own trouble is not taken for its
    /// target's.
    public var helpers: Int
    /// A gap between a watcher's looks longer than this is the watcher's own stall (a paused process, a starved
    /// thread): the time beyond one tick is nobody's silence (Lifeguard's local health, docs/decisions/0036-probe-local-health.md).
    public var stallAfter: Duration

    public init(
        period: Duration = .seconds(1), tick: Duration = .milliseconds(500), suspectAfter: Duration = .seconds(2),
        helperWait: Duration = .seconds(1), watchers: Int = 2, helpers: Int = 3, stallAfter: Duration = .seconds(1)
    ) {
        self.period = period
        self.tick = tick
        self.suspectAfter = suspectAfter
        self.helperWait = helperWait
        self.watchers = max(1, watchers)
        self.helpers = max(0, helpers)
        self.stallAfter = max(stallAfter, tick)
    }

    /// What a watcher makes of a worker it watches.
    public enum Verdict: Sendable, Equatable {
        /// Heard from recently enough.
        case alive
        /// Silent for too long: ask the helpers to ping it too.
        case askHelpers
        /// The helpers were asked and still have time.
        case waitForHelpers
        /// Silent to the watcher and to the helpers: it is unreachable.
        case unreachable
    }

    /// - Parameters:
    ///   - silence: since the watcher last heard from the worker (directly or through a helper).
    ///   - helpersAskedAgo: since the helpers were asked, when they were (and nothing was heard since).
    public func verdict(silence: Duration, helpersAskedAgo: Duration?) -> Verdict {
        guard silence >= suspectAfter else { return .alive }
        guard let asked = helpersAskedAgo else { return .askHelpers }
        return asked >= helperWait ? .unreachable : .waitForHelpers
    }

    /// The latest after its last answer that a dead worker is found unreachable by a live watcher (its heartbeat's
    /// deletion and the watches' delivery come on top): the silence, the helpers' time, and a tick for each of the two
    /// decisions.
    public var detectedWithin: Duration { suspectAfter + helperWait + tick * 2 }
}
