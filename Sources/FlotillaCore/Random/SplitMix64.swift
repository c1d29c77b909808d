/// SplitMix64 (Steele, Lea and Flood, 2014): a small, fast, seeded generator. The same seed gives the same draws on
/// every machine and every run (the simulated backend's figures, the chaos run's faults, the property tests'
/// fleets); also the tracing sampler's coin. Not for secrets.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// Where the sequence stands: a generator made with this seed draws what this one draws next.
    public private(set) var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
