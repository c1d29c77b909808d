import FlotillaCore

/// A small seeded generator (SplitMix64) so the simulation is reproducible: the same seed and the same calls
/// give the same figures on every machine and every run.
struct SimRandom: RandomNumberGenerator, Sendable {
    private var base: SplitMix64

    init(seed: UInt64) {
        base = SplitMix64(seed: seed)
    }

    /// A generator for one instance: the backend's seed mixed with a stable hash of the id, so one instance's
    /// figures do not depend on how often the others were read.
    init(seed: UInt64, id: String) {
        // FNV-1a: stable across processes, unlike `Hasher`.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in id.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        base = SplitMix64(seed: seed ^ hash)
    }

    mutating func next() -> UInt64 { base.next() }
}
