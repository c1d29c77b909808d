import FlotillaCore
import Foundation

/// The chaos run's random numbers: SplitMix64 (Steele, Lea and Flood, 2014), seeded, so that a seed gives the
/// same sequence on every machine and every run. Each loop of the run takes its own stream
/// (``stream(_:)``), so that one loop's draws never depend on how often another one drew.
public struct ChaosRandom: RandomNumberGenerator, Sendable {
    private var base: SplitMix64

    public init(seed: UInt64) { base = SplitMix64(seed: seed) }

    /// The seed of a run: `FLOTILLA_CHAOS_SEED` (decimal or 0x-hex) when set, else a new random one.
    public static func seedFromEnvironment() throws -> UInt64 {
        guard let text = ProcessInfo.processInfo.environment["FLOTILLA_CHAOS_SEED"], !text.isEmpty else {
            return UInt64.random(in: 0...UInt64.max)
        }
        let parsed = text.lowercased().hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
        guard let seed = parsed else { throw ProcessFailure("FLOTILLA_CHAOS_SEED is not a 64-bit number: \(text)") }
        return seed
    }

    public mutating func next() -> UInt64 { base.next() }

    /// An independent stream for the loop named `label`, derived from this generator's seed (not its position).
    public func stream(_ label: String) -> ChaosRandom {
        var mixed = ChaosRandom(seed: base.state)
        for byte in label.utf8 { mixed = ChaosRandom(seed: mixed.next() ^ UInt64(byte)) }
        return ChaosRandom(seed: mixed.next())
    }

    /// A whole number in `range`.
    public mutating func int(in range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }

    /// True with probability `p`.
    public mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }

    /// A duration between `range`'s bounds, to the millisecond.
    public mutating func duration(in range: ClosedRange<Duration>) -> Duration {
        let low = Self.milliseconds(range.lowerBound)
        let high = Self.milliseconds(range.upperBound)
        return .milliseconds(Int64.random(in: low...high, using: &self))
    }

    /// One of `weighted`'s values, each drawn in proportion to its weight.
    public mutating func pick<T>(_ weighted: [(T, Int)]) -> T {
        let total = weighted.reduce(0) { $0 + $1.1 }
        var roll = int(in: 0...(total - 1))
        for (value, weight) in weighted {
            if roll < weight { return value }
            roll -= weight
        }
        return weighted[weighted.count - 1].0
    }

    static func milliseconds(_ d: Duration) -> Int64 {
        d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
    }
}
