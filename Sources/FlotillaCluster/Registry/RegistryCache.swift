import FlotillaCore
import Logging
import ServiceLifecycle
import Synchronization

/// What changed in the registry at one revision.
public struct RegistryUpdate: Sendable, Equatable {
    public var revision: Revision
    public var changes: [RegistryReducer.Change]
}

/// This host's copy of the cluster state, built from list + watch of the store through the pure
/// ``RegistryReducer``. Reads are synchronous and never touch the store.
public final class RegistryCache: Service, Sendable {
    private let store: any ClusterStore
    private let state = Mutex(RegistryState())
    private let broadcaster = Broadcaster<RegistryUpdate>()
    private let logger: Logger
    /// How long a write waits to show in this registry before it answers, and a read's `min_revision` waits
    /// (``catchUp(to:)``; `HostConfiguration.consistencyWait`).
    public let consistencyWait: Duration

    public init(
        store: any ClusterStore, consistencyWait: Duration = .seconds(5), logger: Logger = Logger(label: "flotilla.registry")
    ) {
        self.store = store
        self.consistencyWait = consistencyWait
        self.logger = logger
    }

    /// A copy of the current state (copy-on-write: cheap).
    public var snapshot: RegistryState { state.withLock { $0 } }

    /// The last revision applied.
    public var revision: Revision { state.withLock { $0.revision } }

    /// Reads part of the state under the lock.
    public func read<T>(_ body: (RegistryState) -> T) -> T { state.withLock { body($0) } }

    /// Every update applied after this call.
    public func updates() -> AsyncStream<RegistryUpdate> { broadcaster.subscribe() }

    /// The updates `wants` accepts, judged as each is applied (with the state it made readable): a subscriber that
    /// cares for a few records is not woken for every change of a large fleet.
    public func updates(where wants: @escaping @Sendable (RegistryUpdate) -> Bool) -> AsyncStream<RegistryUpdate> {
        broadcaster.subscribe(where: wants)
    }

    /// Lists the store once, replacing the state. Call before serving requests.
    public func load() async throws {
        let listing = try await store.range(prefix: StoreKeys.root)
        let loaded = RegistryReducer.load(listing.kvs, revision: listing.revision)
        state.withLock { $0 = loaded }
        broadcaster.yield(RegistryUpdate(revision: listing.revision, changes: []))
    }

    /// Applies what the store changed since this registry's revision, up to the store's revision now, from the
    /// store's history instead of a second listing of everything (at 100,000 instances a listing takes seconds).
    /// Lists again when that history was compacted, or when the changes do not arrive within `deadline`.
    public func advance(deadline: Duration = .seconds(10)) async throws {
        let target = try await store.status().revision
        guard target > revision else { return }
        do {
            try await withDeadline(deadline) { [self] in
                for try await batch in store.watch(prefix: StoreKeys.root, fromRevision: revision + 1) {
                    if apply(batch) >= target { return }
                }
                throw StoreError.unavailable("watch stream ended")
            }
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            logger.info("registry catch-up by watch failed; listing again", metadata: ["error": "\(error)"])
            try await load()
        }
    }

    /// Watches the store until cancelled, re-listing when the watch history was compacted and retrying
    /// with backoff when the store fails.
    /// Runs until the task is cancelled or, in a `ServiceGroup`, until graceful shutdown.
    public func run() async throws {
        try await runUntilShutdown { try await self.runUntilCancelled() }
    }

    private func runUntilCancelled() async throws {
        var backoff = Duration.milliseconds(100)
        while !Task.isCancelled {
            do {
                try await watchOnce()
            } catch is CancellationError {
                break
            } catch StoreError.compacted(let requested, let oldest) {
                logger.info("registry watch compacted; re-listing", metadata: ["requested": "\(requested)", "oldest": "\(oldest)"])
                try? await load()
            } catch {
                if Task.isCancelled { break }
                logger.warning("registry watch failed; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(2))
                continue
            }
            backoff = .milliseconds(100)
        }
        broadcaster.finish()
    }

    private func watchOnce() async throws {
        let from = revision + 1
        for try await batch in store.watch(prefix: StoreKeys.root, fromRevision: from) { apply(batch) }
        if !Task.isCancelled { throw StoreError.unavailable("watch stream ended") }
    }

    /// Applies one batch of the store's history and announces it; returns the revision the registry is at.
    @discardableResult
    private func apply(_ batch: WatchBatch) -> Revision {
        let update = state.withLock { s -> RegistryUpdate in
            let changes = RegistryReducer.apply(batch, to: &s)
            return RegistryUpdate(revision: s.revision, changes: changes)
        }
        broadcaster.yield(update)
        return update.revision
    }

    /// Waits until `predicate` holds for the state, or `timeout` passes; returns the state it held for, or nil.
    public func wait(
        timeout: Duration, until predicate: @escaping @Sendable (RegistryState) -> Bool
    ) async -> RegistryState? {
        let updates = self.updates()
        let now = snapshot
        if predicate(now) { return now }
        return try? await withDeadline(timeout) { [self] in
            for await _ in updates {
                let s = snapshot
                if predicate(s) { return s }
            }
            throw CancellationError()
        }
    }

    /// Waits until the registry applied `revision`; returns false when the timeout passed first.
    public func waitForRevision(_ revision: Revision, timeout: Duration) async -> Bool {
        await wait(timeout: timeout) { $0.revision >= revision } != nil
    }

    /// Read-your-writes, in one step: waits, at most ``consistencyWait``, until this host's registry shows
    /// `revision`. Every service write takes it before it returns, so whoever asked reads the write next from
    /// this host; false when the deadline passed first (the write stands; the registry is behind).
    @discardableResult
    public func catchUp(to revision: Revision) async -> Bool {
        await waitForRevision(revision, timeout: consistencyWait)
    }
}
