import FlotillaCore
import ServiceContextModule
import Synchronization
import Tracing

/// The head sampler of Flotilla's traces (docs/decisions/0022-tracing-and-logs.md): whether the work a task does is
/// recorded, decided once where a trace starts and carried in the task's `ServiceContext`, so that work nobody
/// records costs no span at all: a request the sampler passes over runs without one, and so do the store, backend
/// and placement calls it makes. The tracer's own sampler (swift-otel, parent-based always-on) records what this
/// one admits.
public enum TraceSampling {
    /// Whether the work of the current task is recorded.
    public enum Decision: Sendable, Equatable {
        case recorded
        case notRecorded
    }

    /// Where a trace starts: a caller's `traceparent` says whether it recorded its trace (true/false); without one
    /// (nil: none, or malformed) a new trace is recorded when `roll` (uniform in 0..<1) falls under `ratio`.
    public static func decide(callerSampled: Bool?, roll: Double, ratio: Double) -> Decision {
        switch callerSampled {
        case true?: return .recorded
        case false?: return .notRecorded
        case nil: return roll < ratio ? .recorded : .notRecorded
        }
    }

    /// The share of new traces recorded, set once by `serve`'s tracing bootstrap (`--trace-sample-ratio`); 1 until
    /// then. Without a bootstrapped tracer every span is a no-op whatever this says.
    public static var ratio: Double {
        get { Double(bitPattern: ratioBits.load(ordering: .relaxed)) }
        set { ratioBits.store(min(max(newValue, 0), 1).bitPattern, ordering: .relaxed) }
    }
    private static let ratioBits = Atomic<UInt64>(Double(1).bitPattern)

    /// The decision of the current task; nil where no trace was started yet (a background duty's own work).
    public static var current: Decision? { ServiceContext.current?[DecisionKey.self] }

    /// The decision of the current task, or, where no trace was started yet, a new one at ``ratio``.
    public static func currentOrNew() -> Decision {
        current ?? decide(callerSampled: nil, roll: roll(), ratio: ratio)
    }

    /// A context that carries `decision` for the work run in it.
    public static func context(_ base: ServiceContext, _ decision: Decision) -> ServiceContext {
        var context = base
        context[DecisionKey.self] = decision
        return context
    }

    /// A uniform draw in 0..<1 from a fast generator seeded once (not for secrets: a sampling coin).
    public static func roll() -> Double {
        let bits = generator.withLock { $0.next() }
        return Double(bits >> 11) * 0x1p-53
    }

    /// A `traceparent` of a new trace with the sampled flag clear: what a hop sends for work nobody records and no
    /// caller named, so that the other host does not record it either.
    public static func unsampledTraceParent() -> String {
        let (high, low, parent) = generator.withLock { ($0.next(), $0.next(), $0.next() | 1) }
        return "00-" + hex(high) + hex(low) + "-" + hex(parent) + "-00"
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    private static let generator = Mutex(SplitMix64(seed: UInt64.random(in: .min ... .max)))

    /// `body` in a span named `name` when the current task's work is recorded, else with a no-op span and no
    /// tracer call. Where no trace was started (a duty's own work), this starts one: recorded at ``ratio``.
    public static func withSpan<T>(
        _ name: String, ofKind kind: SpanKind = .internal, _ body: (any Span) async throws -> T
    ) async rethrows -> T {
        let decision = currentOrNew()
        let context = self.context(ServiceContext.current ?? .topLevel, decision)
        switch decision {
        case .recorded:
            return try await Tracing.withSpan(name, context: context, ofKind: kind) { span in try await body(span) }
        case .notRecorded:
            return try await ServiceContext.withValue(context) { try await body(NoOpTracer.NoOpSpan(context: context)) }
        }
    }

    private enum DecisionKey: ServiceContextKey {
        typealias Value = Decision
    }
}
