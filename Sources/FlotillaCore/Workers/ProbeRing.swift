/// The order in which workers watch each other (docs/decisions/0035-peer-probes.md): the live workers sorted by a
/// hash of their id, so that workers named alike (one rack, one zone) do not watch only each other. Each worker
/// watches the ones after it; every host computes the same ring from the same registry.
public struct ProbeRing: Sendable, Equatable {
    /// The workers in ring order.
    public let members: [String]
    private let position: [String: Int]

    public init(_ ids: some Sequence<String>) {
        let unique = Set(ids)
        members = unique.map { ($0, Self.ringKey($0)) }.sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }.map(\.0)
        position = Dictionary(uniqueKeysWithValues: members.enumerated().map { ($1, $0) })
    }

    /// The workers `id` watches: the `count` after it on the ring (fewer in a small ring, none when `id` is not on it).
    public func watched(by id: String, count: Int) -> [String] {
        guard let at = position[id], members.count > 1 else { return [] }
        return (1...min(count, members.count - 1)).map { members[(at + $0) % members.count] }
    }

    /// Up to `count` workers other than `asker` and `target`, picked at random, to ping `target` for `asker`.
    public func helpers(
        for target: String, asker: String, count: Int, using generator: inout some RandomNumberGenerator
    ) -> [String] {
        let others = members.count - (position[asker] == nil ? 0 : 1) - (position[target] == nil ? 0 : 1)
        guard count > 0, others > 0 else { return [] }
        var picked: [String] = []
        var seen: Set<String> = []
        // Random picks with a bounded number of tries: cheap in a large ring, exhaustive enough in a small one.
        for _ in 0..<(count * 8) where picked.count < min(count, others) {
            let candidate = members[Int.random(in: 0..<members.count, using: &generator)]
            guard candidate != asker, candidate != target, seen.insert(candidate).inserted else { continue }
            picked.append(candidate)
        }
        return picked
    }

    /// FNV-1a over the id's UTF-8 bytes, then MurmurHash3's finalizer so that ids differing in their last character
    /// land far apart: stable across processes and releases (Swift's `hashValue` is not).
    static func ringKey(_ id: String) -> UInt64 {
        var h = id.utf8.reduce(0xcbf2_9ce4_8422_2325 as UInt64) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01b3 }
        h = (h ^ (h >> 33)) &* 0xff51_afd7_ed55_8ccd
        h = (h ^ (h >> 33)) &* 0xc4ce_b9fe_1a85_ec53
        return h ^ (h >> 33)
    }
}
