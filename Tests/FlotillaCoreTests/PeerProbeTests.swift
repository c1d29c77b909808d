import FlotillaCore
import Testing

/// Peer probes' decisions at small scale (docs/decisions/0035-peer-probes.md): the verdict on a silence, the ring,
/// and a watcher's steps over time.
@Suite struct PeerProbeTests {
    struct VerdictRow: Sendable, CustomTestStringConvertible {
        var silence: Duration
        var asked: Duration?
        var verdict: PeerProbePlan.Verdict
        var testDescription: String { "silent \(silence), helpers asked \(asked.map { "\($0) ago" } ?? "not") → \(verdict)" }
    }

    /// Suspect after 2.5 s, helpers have 0.5 s (the tables below use this plan; the default's bound is checked on its own).
    /// The tables jump from instant to instant, so no gap between steps is taken for the watcher's own stall here; the
    /// stall has tests of its own (``stallPlan``).
    static let plan = PeerProbePlan(
        tick: .milliseconds(250), suspectAfter: .milliseconds(2500), helperWait: .milliseconds(500), stallAfter: .seconds(60))
    /// ``plan`` with the default's stall rule: a gap of over 1 s between two looks is the watcher's own.
    static let stallPlan = PeerProbePlan(tick: .milliseconds(250), suspectAfter: .milliseconds(2500), helperWait: .milliseconds(500))

    static let verdicts: [VerdictRow] = [
        VerdictRow(silence: .zero, asked: nil, verdict: .alive),
        VerdictRow(silence: .milliseconds(2499), asked: nil, verdict: .alive),
        VerdictRow(silence: .milliseconds(2500), asked: nil, verdict: .askHelpers),
        VerdictRow(silence: .seconds(10), asked: nil, verdict: .askHelpers),
        VerdictRow(silence: .milliseconds(2750), asked: .milliseconds(250), verdict: .waitForHelpers),
        VerdictRow(silence: .milliseconds(3000), asked: .milliseconds(500), verdict: .unreachable),
        // Heard again after the helpers were asked: the silence is short again, whatever the helpers did.
        VerdictRow(silence: .milliseconds(100), asked: .seconds(1), verdict: .alive),
    ]

    @Test("a silent worker is first pinged through helpers, and unreachable only when they did not reach it either", arguments: verdicts)
    func verdict(_ row: VerdictRow) {
        #expect(Self.plan.verdict(silence: row.silence, helpersAskedAgo: row.asked) == row.verdict)
    }

    @Test("a dead worker is found within 4 s of its last answer with the default plan, inside the 5 s the fleet is promised")
    func detectionBound() {
        #expect(PeerProbePlan().detectedWithin == .seconds(4))
        #expect(Self.plan.detectedWithin == .milliseconds(3500))
    }

    struct RingRow: Sendable, CustomTestStringConvertible {
        var members: [String]
        var count: Int
        var testDescription: String { "\(members.count) workers, \(count) watchers" }
    }

    static let rings: [RingRow] = [
        RingRow(members: ["a"], count: 2),
        RingRow(members: ["a", "b"], count: 2),
        RingRow(members: ["a", "b", "c"], count: 2),
        RingRow(members: (0..<100).map { "w-\($0)" }, count: 2),
        RingRow(members: (0..<1000).map { "sim-\($0)" }, count: 3),
    ]

    @Test("every worker is watched by as many others as the ring allows, none by itself", arguments: rings)
    func everyoneWatched(_ row: RingRow) {
        let ring = ProbeRing(row.members.reversed())
        var watchers: [String: Int] = [:]
        for member in row.members {
            let watched = ring.watched(by: member, count: row.count)
            #expect(!watched.contains(member))
            #expect(Set(watched).count == watched.count)
            for target in watched { watchers[target, default: 0] += 1 }
        }
        let expected = min(row.count, row.members.count - 1)
        #expect(row.members.allSatisfy { watchers[$0, default: 0] == expected })
        // Every host computes the same ring, whatever order its registry lists the workers in.
        #expect(ProbeRing(row.members.shuffled()) == ring)
    }

    @Test("a worker not on the ring watches nobody; workers named in a row are spread over the ring")
    func ringShape() {
        let ring = ProbeRing((0..<100).map { "w-\($0)" })
        #expect(ring.watched(by: "stranger", count: 2).isEmpty)
        let neighbours = (0..<99).filter { ring.watched(by: "w-\($0)", count: 1) == ["w-\($0 + 1)"] }.count
        #expect(neighbours < 10)
    }

    @Test("helpers are others than the asker and the target, distinct, as many as asked or as there are")
    func helpers() {
        var generator = SplitMix64(seed: 7)
        let ring = ProbeRing((0..<50).map { "w\($0)" })
        let picked = ring.helpers(for: "w1", asker: "w2", count: 3, using: &generator)
        #expect(picked.count == 3)
        #expect(Set(picked).count == 3)
        #expect(!picked.contains("w1") && !picked.contains("w2"))
        let small = ProbeRing(["a", "b", "c"])
        #expect(small.helpers(for: "a", asker: "b", count: 3, using: &generator) == ["c"])
        #expect(ProbeRing(["a", "b"]).helpers(for: "a", asker: "b", count: 3, using: &generator).isEmpty)
    }

    struct StepRow: Sendable, CustomTestStringConvertible {
        /// Milliseconds after the start.
        var at: Int64
        /// Targets heard from just before the step.
        var heard: [String] = []
        var actions: [ProbeWatch.Action]
        var testDescription: String { "\(at) ms: \(actions)" }
    }

    /// Two targets from 0 ms: `b` answers every ping, `c` stops answering after 1 s.
    static let steps: [StepRow] = [
        StepRow(at: 0, actions: [.ping("b"), .ping("c")]),
        StepRow(at: 250, heard: ["b", "c"], actions: []),
        StepRow(at: 1000, actions: [.ping("b"), .ping("c")]),
        StepRow(at: 1100, heard: ["b", "c"], actions: []),
        StepRow(at: 2000, heard: ["b"], actions: [.ping("b"), .ping("c")]),
        StepRow(at: 3000, heard: ["b"], actions: [.ping("b"), .ping("c")]),
        StepRow(at: 3600, heard: ["b"], actions: [.askHelpers("c")]),
        StepRow(at: 3850, actions: []),
        StepRow(at: 4100, heard: ["b"], actions: [.ping("b"), .markUnreachable("c")]),
        // Marked once: counted as heard (and pinged) from then, it waits a whole silence again.
        StepRow(at: 4350, actions: []),
        StepRow(at: 5100, heard: ["b"], actions: [.ping("b"), .ping("c")]),
    ]

    @Test("a watcher pings each target once a period, asks helpers for the silent one and marks it once")
    func watcherSteps() {
        let start = ContinuousClock.now
        var watch = ProbeWatch(plan: Self.plan)
        watch.watch(["c", "b"], now: start)
        for row in Self.steps {
            let now = start + .milliseconds(row.at)
            for id in row.heard { watch.heard(id, at: now) }
            #expect(watch.step(now: now) == row.actions, "\(row.at) ms")
        }
    }

    @Test("an answer through a helper clears the suspicion; a new target gets a whole silence; a dropped one is forgotten")
    func watchChanges() {
        let start = ContinuousClock.now
        var watch = ProbeWatch(plan: Self.plan)
        watch.watch(["b"], now: start)
        _ = watch.step(now: start)
        #expect(watch.step(now: start + .milliseconds(2600)) == [.askHelpers("b"), .ping("b")])
        watch.heard("b", at: start + .milliseconds(2700))
        #expect(watch.step(now: start + .milliseconds(3200)).isEmpty)
        watch.watch(["b", "d"], now: start + .seconds(3))
        // `d` is new: only pinged, while `b`, silent since 2.7 s, gets its helpers; `d` gets them a whole silence later.
        #expect(watch.step(now: start + .milliseconds(5300)) == [.askHelpers("b"), .ping("b"), .ping("d")])
        #expect(watch.step(now: start + .milliseconds(5600)) == [.askHelpers("d")])
        watch.watch(["d"], now: start + .seconds(6))
        #expect(watch.watched == ["d"])
        watch.heard("b", at: start + .seconds(6))
        #expect(watch.watched == ["d"])
    }

    /// Steps `watch` every tick from `from` up to `until` (in ms after `start`), hearing from `anyone` before each step
    /// when asked to; returns when each action was first due, in ms.
    static func firstDue(
        _ watch: inout ProbeWatch, start: ContinuousClock.Instant, from: Int, until: Int, hearingAnyone: Bool = false
    ) -> [ProbeWatch.Action: Int] {
        var due: [ProbeWatch.Action: Int] = [:]
        for at in stride(from: from, through: until, by: 250) {
            if hearingAnyone { watch.heardAnyone(at: start + .milliseconds(at)) }
            for action in watch.step(now: start + .milliseconds(at)) where due[action] == nil { due[action] = at }
        }
        return due
    }

    @Test("a watcher's own stall is nobody's silence: after 3 s away it pings again instead of suspecting its target")
    func ownStallForgiven() {
        let start = ContinuousClock.now
        var watch = ProbeWatch(plan: Self.stallPlan)
        watch.watch(["b"], now: start)
        #expect(watch.step(now: start) == [.ping("b")])
        watch.heard("b", at: start + .milliseconds(100))
        // Away for 3 s (a paused process): the 2.85 s beyond one tick are moved out of b's silence.
        #expect(watch.step(now: start + .milliseconds(3100)) == [.ping("b")])
        // Silent from then on, b is suspected a whole silence after its answer, counted without the stall: 2.95 s + 2.5 s.
        let due = Self.firstDue(&watch, start: start, from: 3350, until: 7000, hearingAnyone: true)
        #expect(due[.askHelpers("b")] == 5600)
        #expect(due[.markUnreachable("b")] == 6100)
    }

    @Test("the same silence without a stall: a watcher that looks every tick suspects its target 2.5 s after its answer")
    func silenceWithoutStall() {
        let start = ContinuousClock.now
        var watch = ProbeWatch(plan: Self.stallPlan)
        watch.watch(["b"], now: start)
        watch.heard("b", at: start + .milliseconds(100))
        let due = Self.firstDue(&watch, start: start, from: 0, until: 4000, hearingAnyone: true)
        #expect(due[.askHelpers("b")] == 2750)
        #expect(due[.markUnreachable("b")] == 3250)
    }

    @Test("a watcher that hears nobody at all marks nobody, says so once, and marks when it hears someone again")
    func deafWatcherMarksNobody() {
        let start = ContinuousClock.now
        var watch = ProbeWatch(plan: Self.stallPlan)
        watch.watch(["b", "c"], now: start)
        // Heard someone at the start, then nobody: at 3 s that was longer ago than a silence that makes a suspect (2.5 s).
        watch.heardAnyone(at: start)
        var saidNobody = 0
        var marked: [String] = []
        for at in stride(from: 0, through: 6000, by: 250) {
            // Someone (one of its own watchers) is heard again at 5 s; b and c stay silent throughout.
            if at == 5000 { watch.heardAnyone(at: start + .milliseconds(at)) }
            for action in watch.step(now: start + .milliseconds(at)) {
                switch action {
                case .heardNobody:
                    saidNobody += 1
                    #expect(at == 3000)
                case .markUnreachable(let id):
                    marked.append(id)
                    #expect(at == 5000)
                case .ping, .askHelpers: break
                }
            }
        }
        #expect(saidNobody == 1)
        #expect(marked == ["b", "c"])
    }

    @Test("a watcher that heard someone within the last silence marks its target, though nobody since it asked the helpers")
    func recentHearingIsEnough() {
        let start = ContinuousClock.now
        var watch = ProbeWatch(plan: Self.stallPlan)
        watch.watch(["b"], now: start)
        // Its other peers' pings come every 1 to 1.5 s (a ping waits for the tick after its period): one at 2.25 s, none
        // between the helpers' ask at 2.5 s and the verdict at 3 s.
        watch.heardAnyone(at: start + .milliseconds(2250))
        let due = Self.firstDue(&watch, start: start, from: 0, until: 3000)
        #expect(due[.markUnreachable("b")] == 3000)
        #expect(due[.heardNobody] == nil)
    }

    @Test("a stall while the helpers have their time extends their time, and what was heard before it still counts")
    func stallWhileHelpersAsked() {
        let start = ContinuousClock.now
        var watch = ProbeWatch(plan: Self.stallPlan)
        watch.watch(["b"], now: start)
        #expect(Self.firstDue(&watch, start: start, from: 0, until: 2500)[.askHelpers("b")] == 2500)
        watch.heardAnyone(at: start + .milliseconds(2600))
        // Away from 2.5 s to 4.5 s: the helpers' 0.5 s is counted without the stall, so b is marked at 4.75 s, and the
        // watcher had heard someone (at 2.6 s) since it asked them.
        #expect(watch.step(now: start + .milliseconds(4500)) == [.ping("b")])
        #expect(watch.step(now: start + .milliseconds(4750)) == [.markUnreachable("b")])
    }

    @Test("in a fleet of two the one peer is all there is to hear: its silence alone marks it")
    func fleetOfTwoMarksOnSilence() {
        let start = ContinuousClock.now
        var watch = ProbeWatch(plan: Self.stallPlan)
        watch.othersToHear = false
        watch.watch(["b"], now: start)
        let due = Self.firstDue(&watch, start: start, from: 0, until: 4000)
        #expect(due[.markUnreachable("b")] == 3000)
        #expect(due[.heardNobody] == nil)
    }
}
