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
    static let plan = PeerProbePlan(tick: .milliseconds(250), suspectAfter: .milliseconds(2500), helperWait: .milliseconds(500))

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
}
