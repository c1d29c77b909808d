/// The figures of one chaos run (docs/reliability.md): what it did, what it injected, what it checked, and how
/// long the cluster took to settle after the last fault healed. ``description`` is what the run prints.
public struct ChaosReport: Sendable, CustomStringConvertible {
    public var seed: UInt64
    public var planned: Duration
    public var ran: Duration
    public var hosts: Int
    public var operations: [String: ChaosLedger.Outcomes]
    public var faults: [String: Int]
    public var samplesTaken: Int
    public var eventsSeen: Int
    public var acknowledgedCreates: Int
    public var acknowledgedDeletes: Int
    /// Deletes whose outcome the client could not know; their instances are held to nothing at the end.
    public var uncertainDeletes: Int
    public var violations: [InvariantViolation]
    /// Per live instance, how long after the last heal it was as desired and ran once; nil: it never was.
    public var convergence: [String: Duration?]
    /// The live instances not as desired at the end, with the reason their record gives (when a check failed).
    public var unsettled: [String]
    /// The fault schedule and every host's log tail, filled when the run failed.
    public var dump: String?

    /// No violation and every instance converged.
    public var passed: Bool { violations.isEmpty }

    public var violationsByKind: [String: Int] { violations.reduce(into: [:]) { $0[$1.kind, default: 0] += 1 } }

    public var unconverged: Int { convergence.values.filter { $0 == nil }.count }

    /// The `q` quantile (0...1) of the converged instances' times, nearest rank; nil when none converged.
    public func convergenceQuantile(_ q: Double) -> Duration? {
        let times = convergence.values.compactMap { $0 }.sorted()
        guard !times.isEmpty else { return nil }
        let rank = Int((q * Double(times.count)).rounded(.up))
        return times[min(max(rank, 1), times.count) - 1]
    }

    public var description: String {
        func ms(_ d: Duration?) -> String { d.map { "\(ChaosRandom.milliseconds($0)) ms" } ?? "-" }
        var lines = [
            "chaos run: seed \(seed) (replay with FLOTILLA_CHAOS_SEED=\(seed)), \(hosts) hosts, planned \(planned), ran \(ran)",
            "operations (acknowledged/refused/failed/skipped):",
        ]
        for (kind, o) in operations.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(kind): \(o.acknowledged)/\(o.refused)/\(o.failed)/\(o.skipped)")
        }
        let total = operations.values.reduce(0) { $0 + $1.acknowledged }
        lines.append(
            "  acknowledged in all: \(total) (creates \(acknowledgedCreates) held to the end, deletes \(acknowledgedDeletes); "
                + "deletes of unknown outcome \(uncertainDeletes))")
        lines.append("faults injected: \(faults.values.reduce(0, +))")
        for (kind, count) in faults.sorted(by: { $0.key < $1.key }) { lines.append("  \(kind): \(count)") }
        lines.append("samples taken: \(samplesTaken); events seen: \(eventsSeen)")
        lines.append("invariant violations: \(violations.count)")
        for (kind, count) in violationsByKind.sorted(by: { $0.key < $1.key }) { lines.append("  \(kind): \(count)") }
        for violation in violations.prefix(20) { lines.append("  - \(violation)") }
        if !unsettled.isEmpty { lines.append("not as desired at the end:") }
        for line in unsettled.prefix(20) { lines.append("  - \(line)") }
        lines.append(
            "convergence after the last heal (\(convergence.count) live instances, \(unconverged) never): "
                + "p50 \(ms(convergenceQuantile(0.5))), p99 \(ms(convergenceQuantile(0.99))), max \(ms(convergenceQuantile(1)))")
        return lines.joined(separator: "\n")
    }
}
