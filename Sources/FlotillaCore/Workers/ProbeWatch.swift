/// What one watcher knows of the workers it watches, and what it does next (docs/decisions/0035-peer-probes.md):
/// the decisions of ``PeerProbePlan`` applied to each target, on instants the caller passes in.
public struct ProbeWatch: Sendable, Equatable {
    public typealias Instant = ContinuousClock.Instant

    /// One step for the watcher to take.
    public enum Action: Sendable, Equatable {
        case ping(String)
        case askHelpers(String)
        case markUnreachable(String)
    }

    struct Target: Sendable, Equatable {
        var heard: Instant
        var pinged: Instant?
        var helpersAsked: Instant?
    }

    public let plan: PeerProbePlan
    private(set) var targets: [String: Target] = [:]

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
        guard var target = targets[id] else { return }
        target.heard = max(target.heard, now)
        target.helpersAsked = nil
        targets[id] = target
    }

    /// The steps due at `now`, in the targets' order: a ping every period to each target, the helpers asked for one
    /// silent too long, and one that stayed silent to them too marked unreachable (then counted as heard and pinged from
    /// now, so that it is marked once, not at every tick, while its mark reaches the registry).
    public mutating func step(now: Instant) -> [Action] {
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
}
