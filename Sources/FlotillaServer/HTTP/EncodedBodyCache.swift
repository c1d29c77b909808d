import FlotillaCore
import Hummingbird
import NIOCore
import Synchronization

/// Encoded JSON bodies of registry records, reused while the record's revision is unchanged: a GET of an
/// instance that did not change is answered without encoding it again. Bounded: it starts over when full.
final class EncodedBodyCache: Sendable {
    private let entries = Mutex<[String: (revision: Revision, body: ByteBuffer)]>([:])
    private let capacity: Int

    init(capacity: Int = 50_000) { self.capacity = capacity }

    /// The body for `key` at `revision`, encoding `make()` only when the cached one is older.
    func body<T: Encodable>(key: String, revision: Revision, _ make: () -> T) -> ByteBuffer {
        if let hit = entries.withLock({ $0[key] }), hit.revision == revision { return hit.body }
        let body = JSONResponse.encode(make())
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = (revision, body)
        }
        return body
    }
}
