import FlotillaCore
import GRDB
import Synchronization

/// Groups the write transactions that arrive while a commit is in flight into one SQLite transaction: one commit
/// (one fsync under ``SQLiteClusterStore/Synchronous/full``) for the group, each store transaction still in a
/// savepoint of its own, with its own revision and outcome, answered only once the group is on disk. Under no
/// concurrency a transaction goes alone, at once (docs/decisions/0032-registry-indexes.md, "accepted creates").
final class SQLiteCommitQueue: Sendable {
    /// The largest group: bounds how long one commit holds the writer.
    static let maxBatch = 64

    /// One store transaction waiting for a group.
    struct Item: Sendable {
        /// Runs the transaction inside the group's SQLite transaction (in its own savepoint); returns the revision it
        /// made, if any, and how to answer its caller once the group committed.
        let run: @Sendable (Database, _ nowMs: Int64) -> (revision: Revision?, answer: @Sendable () -> Void)
        /// Answers its caller when the group failed as a whole (nothing of it is known to be on disk).
        let fail: @Sendable (any Error) -> Void
    }

    private let state = Mutex<(pending: [Item], flushing: Bool)>(([], false))

    /// Queues `item`; starts a flush unless one is under way.
    func submit(_ item: Item, to store: SQLiteClusterStore) {
        let start = state.withLock { s in
            s.pending.append(item)
            guard !s.flushing else { return false }
            s.flushing = true
            return true
        }
        if start { Task { await self.flush(store) } }
    }

    /// Commits groups until nothing waits.
    private func flush(_ store: SQLiteClusterStore) async {
        while let group = nextGroup() {
            let now = store.now
            do {
                let (answers, last) = try await store.pool.write { db in
                    var answers: [@Sendable () -> Void] = []
                    var last: Revision?
                    for item in group {
                        let (revision, answer) = item.run(db, now())
                        answers.append(answer)
                        last = revision ?? last
                    }
                    return (answers, last)
                }
                if let last { store.hub.publish(last) }
                for answer in answers { answer() }
            } catch {
                for item in group { item.fail(SQLiteClusterStore.mapped(error)) }
            }
        }
    }

    /// The next group, or nil (and no longer flushing) when nothing waits.
    private func nextGroup() -> [Item]? {
        state.withLock { s in
            guard !s.pending.isEmpty else {
                s.flushing = false
                return nil
            }
            let group = Array(s.pending.prefix(Self.maxBatch))
            s.pending.removeFirst(group.count)
            return group
        }
    }
}
