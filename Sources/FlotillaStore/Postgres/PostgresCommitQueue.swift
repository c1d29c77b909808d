import FlotillaCore

/// Groups the transactions that arrive while a commit is in flight into the next call of `flotilla.apply`: one
/// round trip and one commit (one flush of the database's log) for the group, each transaction still with its own
/// revision and outcome. Under no concurrency a transaction goes alone, at once.
actor PostgresCommitQueue {
    /// The largest group: bounds one call's time on the server, during which writers wait for the revision lock.
    static let maxBatch = 64

    private var pending: [(txn: PostgresTxnWire.Txn, reply: CheckedContinuation<PostgresTxnWire.Outcome, any Error>)] = []
    private var flushing = false

    /// Commits `txn` with the next group; returns its outcome once the group committed.
    func submit(_ txn: PostgresTxnWire.Txn, store: PostgresClusterStore) async throws -> PostgresTxnWire.Outcome {
        try await withCheckedThrowingContinuation { reply in
            pending.append((txn, reply))
            guard !flushing else { return }
            flushing = true
            Task { await self.flush(store) }
        }
    }

    /// Commits groups until nothing waits. A failed call fails every transaction of its group (none of them is known
    /// to have committed, as with a lost answer from etcd).
    private func flush(_ store: PostgresClusterStore) async {
        while !pending.isEmpty {
            let group = Array(pending.prefix(Self.maxBatch))
            pending.removeFirst(group.count)
            do {
                let outcomes = try await store.apply(group.map(\.txn))
                for (item, outcome) in zip(group, outcomes) { item.reply.resume(returning: outcome) }
            } catch {
                for item in group { item.reply.resume(throwing: error) }
            }
        }
        flushing = false
    }
}
