/// Keys in ascending order, held in chunks of at most ``chunkLimit`` (a two-level sorted array): an insert or a
/// removal moves at most one chunk's elements, and a copy shared with a snapshot copies the chunk list and the
/// one chunk written, not every key (docs/decisions/0032-registry-indexes.md). Listings walk it from a position
/// instead of sorting every instance.
struct CreationIndex: Sendable {
    static let chunkLimit = 1024
    /// Each sorted, none empty, every key of one below every key of the next.
    private var chunks: [[CreationKey]] = []
    private(set) var count = 0

    mutating func insert(_ key: CreationKey) {
        guard !chunks.isEmpty else {
            chunks = [[key]]
            count = 1
            return
        }
        let c = min(firstChunk { !($0 < key) }, chunks.count - 1)
        let at = Self.firstIndex(in: chunks[c]) { !($0 < key) }
        guard at == chunks[c].count || chunks[c][at] != key else { return }
        chunks[c].insert(key, at: at)
        count += 1
        if chunks[c].count > Self.chunkLimit {
            let upper = Array(chunks[c][(Self.chunkLimit / 2)...])
            chunks[c].removeLast(upper.count)
            chunks.insert(upper, at: c + 1)
        }
    }

    mutating func remove(_ key: CreationKey) {
        let c = firstChunk { !($0 < key) }
        guard c < chunks.count else { return }
        let at = Self.firstIndex(in: chunks[c]) { !($0 < key) }
        guard at < chunks[c].count, chunks[c][at] == key else { return }
        chunks[c].remove(at: at)
        count -= 1
        if chunks[c].isEmpty { chunks.remove(at: c) }
    }

    /// The keys after `key` (all of them when nil), oldest first.
    func ascending(after key: CreationKey? = nil) -> FlattenSequence<[ArraySlice<CreationKey>]> {
        guard let key else { return chunks[...].map { $0[...] }.joined() }
        let c = firstChunk { key < $0 }
        guard c < chunks.count else { return [ArraySlice<CreationKey>]().joined() }
        let at = Self.firstIndex(in: chunks[c]) { key < $0 }
        return ([chunks[c][at...]] + chunks[(c + 1)...].map { $0[...] }).joined()
    }

    /// Every key, newest first.
    func descending() -> FlattenSequence<[ReversedCollection<[CreationKey]>]> {
        chunks.reversed().map { $0.reversed() }.joined()
    }

    /// The first chunk whose last key satisfies `isAtOrAbove` (monotone), or `chunks.count`.
    private func firstChunk(_ isAtOrAbove: (CreationKey) -> Bool) -> Int {
        var (low, high) = (0, chunks.count)
        while low < high {
            let mid = (low + high) / 2
            if let last = chunks[mid].last, isAtOrAbove(last) { high = mid } else { low = mid + 1 }
        }
        return low
    }

    private static func firstIndex(in chunk: [CreationKey], where isAtOrAbove: (CreationKey) -> Bool) -> Int {
        var (low, high) = (0, chunk.count)
        while low < high {
            let mid = (low + high) / 2
            if isAtOrAbove(chunk[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
