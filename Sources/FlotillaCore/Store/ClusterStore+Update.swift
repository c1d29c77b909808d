/// The writes of one compare-and-swap update, beside the compare on the key it read.
public struct StoreChange: Sendable, Equatable {
    /// Further compares (e.g. a name reservation absent), all of which must hold too.
    public var compares: [Compare]
    public var ops: [TxnOp]

    public init(compares: [Compare] = [], ops: [TxnOp]) {
        self.compares = compares
        self.ops = ops
    }
}

/// How a compare-and-swap update ended.
public enum StoreUpdate: Sendable, Equatable {
    /// The change was written at this revision.
    case written(Revision)
    /// The change decided to write nothing, given this value of the key (nil: absent).
    case unchanged(KeyValue?)
}

extension ClusterStore {
    /// The one compare-and-swap update: reads `key`, lets `change` decide the writes from what it holds (nil: the
    /// key is absent; returning nil writes nothing), and commits them compared on the revision read (or on the
    /// key's absence) plus the change's own compares. On a conflict it reads again and retries, at most
    /// `attempts` times; then throws ``StoreError/unavailable(_:)``. Errors `change` throws end the update.
    public func update(
        _ key: String, attempts: Int = 32, _ change: (KeyValue?) throws -> StoreChange?
    ) async throws -> StoreUpdate {
        for _ in 0..<max(1, attempts) {
            let kv = try await get(key)
            guard let writes = try change(kv) else { return .unchanged(kv) }
            let guardRead: Compare = kv.map { .unchanged(key, since: $0.modRevision) } ?? .absent(key)
            let result = try await txn([guardRead] + writes.compares, then: writes.ops, otherwise: [])
            if result.succeeded { return .written(result.revision) }
        }
        throw StoreError.unavailable("too many concurrent changes to \(key); try again")
    }
}
