import FlotillaCore
import FlotillaStore
import Foundation
import Synchronization

/// Every owner the registry named for one instance, from the moment the watch starts: an etcd watch on the
/// instance's key (its own store client), recording the worker of every write. The migration tests assert with it
/// that a destination that died midway was never named (docs/decisions/0027-live-migration.md, "one owner at
/// every moment"). ``with(_:instance:_:)`` starts it from the key's current revision, runs the body, then cancels
/// the watch, awaits it and closes the client, whatever the body did.
public final class MigrationOwnerWatch: Sendable {
    private let seen = Mutex<[(revision: Revision, worker: String?, state: String)]>([])
    private let failure = Mutex<String?>(nil)

    private init() {}

    /// The workers named, in order, one entry per write of the key (nil: not placed).
    public var owners: [String?] { seen.withLock { $0.map(\.worker) } }
    /// Each write as `revision worker state`, for failure messages.
    public var history: [String] { seen.withLock { $0.map { "\($0.revision) \($0.worker ?? "-") \($0.state)" } } }
    /// Why the watch ended early, if it did (then ``owners`` is incomplete and an assertion on it proves nothing).
    public var error: String? { failure.withLock { $0 } }

    public static func with<T: Sendable>(
        _ etcd: EtcdCluster, instance id: String, _ body: (MigrationOwnerWatch) async throws -> T
    ) async throws -> T {
        let store = try etcd.store()
        let watch = MigrationOwnerWatch()
        let key = StoreKeys.instance(id)
        let start: Revision
        do { start = try await store.get(key)?.modRevision ?? 1 } catch {
            try? await store.close()
            throw error
        }
        let task = Task {
            do {
                for try await batch in store.watch(prefix: key, fromRevision: start) {
                    for event in batch.events where event.kv.key == key {
                        let instance = event.kind == .put ? try? StoreCodec.decode(Instance.self, from: event.kv.value) : nil
                        watch.seen.withLock {
                            $0.append((event.revision, instance?.workerId, instance.map { $0.state.rawValue } ?? event.kind.rawValue))
                        }
                    }
                }
                if !Task.isCancelled { watch.failure.withLock { $0 = "the watch ended" } }
            } catch {
                if !Task.isCancelled { watch.failure.withLock { $0 = "the watch failed: \(error)" } }
            }
        }
        do {
            let result = try await body(watch)
            task.cancel()
            _ = await task.value
            try? await store.close()
            return result
        } catch {
            task.cancel()
            _ = await task.value
            try? await store.close()
            throw error
        }
    }
}
