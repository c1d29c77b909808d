/// What one watcher knows of the workers it watches, and what it does next (docs/decisions/0035-peer-probes.md):
/// the decisions of ``PeerProbePlan`` applied to each target, on instants the caller passes in. The watcher doubts
/// itself before its targets (docs/decisions/0036-probe-local-health.md): time it spent stalled is nobody's silence,
/// and it marks nobody unreachable while it hears nobody at all.
public struct ProbeWatch: Sendable, Equatable {
    public typealias Instant = ContinuousClock.Instant

    /// One step for the watcher to take.
    public enum Action: Sendable, Hashable {
        case ping(String)
        case askHelpers(String)
        case markUnreachable(String)
        /// The helpers had their time, but this watcher heard nobody at all for as long as its target was silent before
        /// it was suspected: the watcher may be the one cut off, so it marks nobody until it hears someone. Said once per
        /// such spell (for one log line).
        case heardNobody
    }

    struct Target: Sendable, Equatable {
        var heard: Instant
        var pinged: Instant?
        /// When the helpers were asked, moved forward by the watcher's own stalls.
        var helpersAsked: Instant?
    }

    public let plan: PeerProbePlan
    private(set) var targets: [String: Target] = [:]
    /// When ``step(now:)`` last ran: a longer gap than ``PeerProbePlan/stallAfter`` is this watcher's own stall.
    private var lastStep: Instant?
    /// When anyone at all was last heard (a ping, a request or an answer, from any worker).
    private var lastHeardAnyone: Instant?
    /// Whether the watcher needs to have heard someone before it marks anyone: false when nobody else could answer
    /// (a fleet of two, whose one peer is its only target), where silence is all there is to go on.
    public var othersToHear = true
    /// Whether ``Action/heardNobody`` was said for the current spell of silence.
    private var saidHeardNobody = false

    public init(plan: PeerProbePlan) { self.plan = plan }

    /// The workers watched now. A new one is counted as heard from now: it gets the whole silence before any verdict.
    public var watched: [String] { targets.keys.sorted() }

    /// Watches exactly `ids` from now on; the ones already watched keep what was heard from them.
    public mutating func watch(_ ids: [String], now: Instant) {
        var next: [String: Target] = [:]
        for id in ids { next[id] = targets[id] ?? Target(heard: now) }
        targets = next
    }

    /// `id` answered (directly or through a helper): it is alive, and its helpers need not answer any more.
    public mutating func heard(_ id: String, at now: Instant) {
        heardAnyone(at: now)
        guard var target = targets[id] else { return }
        target.heard = max(target.heard, now)
        target.helpersAsked = nil
        targets[id] = target
    }

    /// Someone (anyone) was heard at `now`: a signed datagram reached this watcher, so it is not cut off.
    public mutating func heardAnyone(at now: Instant) {
        lastHeardAnyone = max(lastHeardAnyone ?? now, now)
        saidHeardNobody = false
    }

    /// The steps due at `now`, in the targets' order: a ping every period to each target, the helpers asked for one
    /// silent too long, and one that stayed silent to them too marked unreachable (then counted as heard and pinged from
    /// now, so that it is marked once, not at every tick, while its mark reaches the registry). After a stall of the
    /// watcher's own, what it heard is moved forward by the stall; a watcher that heard nobody at all for as long as a
    /// target must be silent to be suspected (``PeerProbePlan/suspectAfter``) doubts itself, and marks nobody.
    public mutating func step(now: Instant) -> [Action] {
        forgiveOwnStall(now: now)
        var actions: [Action] = []
        for id in targets.keys.sorted() {
            guard var target = targets[id] else { continue }
            let asked = target.helpersAsked.map { $0.duration(to: now) }
            switch plan.verdict(silence: target.heard.duration(to: now), helpersAskedAgo: asked) {
            case .alive, .waitForHelpers:
                break
            case .askHelpers:
                target.helpersAsked = now
                actions.append(.askHelpers(id))
            case .unreachable where othersToHear && !heardAnyone(since: now - plan.suspectAfter):
                if !saidHeardNobody {
                    saidHeardNobody = true
                    actions.append(.heardNobody)
                }
            case .unreachable:
                actions.append(.markUnreachable(id))
                targets[id] = Target(heard: now, pinged: now)
                continue
            }
            if target.pinged.map({ $0.duration(to: now) >= plan.period }) ?? true {
                target.pinged = now
                actions.append(.ping(id))
            }
            targets[id] = target
        }
        return actions
    }

    /// Whether anyone was heard at or after `instant`.
    private func heardAnyone(since instant: Instant) -> Bool {
        guard let lastHeardAnyone else { return false }
        return lastHeardAnyone >= instant
    }

    /// A gap since the last step longer than ``PeerProbePlan/stallAfter`` was this watcher's own stall: its time beyond
    /// one tick is moved out of every silence (and out of the helpers' time), as if the watcher had not been away.
    private mutating func forgiveOwnStall(now: Instant) {
        defer { lastStep = now }
        guard let lastStep, lastStep.duration(to: now) > plan.stallAfter else { return }
        let stalled = lastStep.duration(to: now) - plan.tick
        for (id, var target) in targets {
            target.heard = min(now, target.heard + stalled)
            target.helpersAsked = target.helpersAsked.map { min(now, $0 + stalled) }
            targets[id] = target
        }
    }
}
