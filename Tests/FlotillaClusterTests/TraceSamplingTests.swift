import FlotillaCluster
import ServiceContextModule
import Testing
import Tracing

/// The head sampler (docs/decisions/0022-tracing-and-logs.md): the W3C sampled flag, the decision, and that work
/// nobody records gets no span.
@Suite("Trace sampling")
struct TraceSamplingTests {
    static let trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let parent = "00f067aa0ba902b7"

    @Test(
        "the sampled flag of a traceparent; anything malformed is no traceparent",
        arguments: [
            ("00-\(trace)-\(parent)-01", true),
            ("00-\(trace)-\(parent)-00", false),
            ("00-\(trace)-\(parent)-03", true),
            ("00-\(trace)-\(parent)-02", false),
            ("01-\(trace)-\(parent)-01-future", true),
            ("01-\(trace)-\(parent)-01", true),
            ("00-\(trace)-\(parent)-01-extra", nil),
            ("01-\(trace)-\(parent)-01x", nil),
            ("ff-\(trace)-\(parent)-01", nil),
            ("00-00000000000000000000000000000000-\(parent)-01", nil),
            ("00-\(trace)-0000000000000000-01", nil),
            ("00-\(trace.uppercased())-\(parent)-01", nil),
            ("00-\(trace)-\(parent)-0g", nil),
            ("00-xyz-\(parent)-01", nil),
            ("00_\(trace)-\(parent)-01", nil),
            ("", nil),
        ] as [(String, Bool?)])
    func sampledFlag(header: String, expected: Bool?) {
        #expect(TraceParent.sampled(header) == expected)
    }

    @Test(
        "a caller's flag decides; without one the roll against the ratio",
        arguments: [
            (true, 0.99, 0.0, TraceSampling.Decision.recorded),
            (false, 0.0, 1.0, .notRecorded),
            (nil, 0.05, 0.1, .recorded),
            (nil, 0.1, 0.1, .notRecorded),
            (nil, 0.0, 0.0, .notRecorded),
            (nil, 0.999_999, 1.0, .recorded),
        ] as [(Bool?, Double, Double, TraceSampling.Decision)])
    func decision(callerSampled: Bool?, roll: Double, ratio: Double, expected: TraceSampling.Decision) {
        #expect(TraceSampling.decide(callerSampled: callerSampled, roll: roll, ratio: ratio) == expected)
    }

    @Test("a fresh unsampled traceparent is valid, has its flag clear, and differs each time")
    func unsampledTraceParent() {
        let first = TraceSampling.unsampledTraceParent()
        #expect(TraceParent.sampled(first) == false, "\(first)")
        #expect(first != TraceSampling.unsampledTraceParent())
    }

    @Test("the sampling coin is uniform in 0..<1")
    func roll() {
        let draws = (0..<100_000).map { _ in TraceSampling.roll() }
        #expect(draws.allSatisfy { $0 >= 0 && $0 < 1 })
        // The mean of 100,000 uniform draws lies within 0.01 of 0.5 but for a chance of about 1 in 10^20.
        #expect(abs(draws.reduce(0, +) / Double(draws.count) - 0.5) < 0.01)
        #expect(draws.filter { $0 < 0.1 }.count > 9_000 && draws.filter { $0 < 0.1 }.count < 11_000)
    }

    @Test("work in a task nobody records gets a no-op span and carries the decision to what it calls; recorded work keeps it")
    func spansFollowTheDecision() async {
        for decision in [TraceSampling.Decision.notRecorded, .recorded] {
            await ServiceContext.withValue(TraceSampling.context(.topLevel, decision)) {
                let inner = await TraceSampling.withSpan("store.txn") { span in
                    await TraceSampling.withSpan("backend.sim.create") { nested in
                        (span.isRecording, nested.isRecording, TraceSampling.current)
                    }
                }
                // No tracer is bootstrapped in tests: even recorded work has no-op spans; the decision is what differs.
                #expect(inner.0 == false && inner.1 == false)
                #expect(inner.2 == decision)
            }
        }
        #expect(TraceSampling.current == nil, "outside any trace")
    }
}
