import FlotillaCore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Drives the backends of this host from each instance's observed state to its desired state, and reports
/// what the backends really did. Only instances placed on this host are touched, plus the leftovers of
/// instances a drain migrated away from it; backend instances that Flotilla does not own are never touched.
public final class Agent: Service, Sendable {
    let store: any ClusterStore
    let registry: RegistryCache
    let identity: HostIdentity
    let clock: WallClock
    let backends: BackendSet
    /// This host's backends' health, which the agent waits on and reports to.
    public let health: BackendHealth
    let reconciler: Reconciler
    let resyncInterval: Duration
    /// Whether backends' change notifications are followed (else only the resync notices changes).
    let followBackendEvents: Bool
    let logger: Logger
    let calmLog: CalmLogger
    /// Instances being reconciled, each with whether something asked for it meanwhile (it goes round again).
    private let inFlight = Mutex<[String: Bool]>([:])
    /// Instances migrated away from this host whose leftover backend instance is already gone.
    let collected = Mutex<Set<String>>([])
    /// The store revision of this agent's last successful report per instance.
    let reportedRevisions = Mutex<[String: Revision]>([:])
    /// The next look already planned per instance (a restart backing off).
    private let wakeups = Mutex<[String: Date]>([:])
    /// This host's standing with the store; nil: never fenced (a store without leases to lose).
    let session: StoreSession?
    /// Instances the fence stopped, by backend, until each has been reconciled (or deleted) after it lifted.
    let fenced = Mutex<[String: BackendKind]>([:])
    /// Live migrations under way on this host (as source or destination): their instances are left alone.
    let migrations: MigrationGuard?
    /// How snapshots kept by other hosts are read (nil: instances are made only from snapshots kept here).
    let snapshotPeers: (any SnapshotPeers)?

    public init(
        store: any ClusterStore, registry: RegistryCache, identity: HostIdentity, clock: WallClock = .system, backends: BackendSet,
        health: BackendHealth? = nil, reconciler: Reconciler = Reconciler(), resyncInterval: Duration = .seconds(1),
        followBackendEvents: Bool = true, session: StoreSession? = nil, migrations: MigrationGuard? = nil,
        snapshotPeers: (any SnapshotPeers)? = nil, logger: Logger = Logger(label: "flotilla.agent")
    ) {
        self.session = session
        self.snapshotPeers = snapshotPeers
        self.migrations = migrations
        self.followBackendEvents = followBackendEvents
        self.store = store
        self.registry = registry
        self.identity = identity
        self.clock = clock
        self.backends = backends
        self.health = health ?? BackendHealth(backends: backends, clock: clock)
        self.reconciler = reconciler
        self.resyncInterval = resyncInterval
        self.logger = logger
        self.calmLog = CalmLogger(logger, clock: clock)
    }

    /// Runs until the task is cancelled or, in a `ServiceGroup`, until graceful shutdown.
    public func run() async throws {
        try await runUntilShutdown { try await self.runUntilCancelled() }
    }

    private func runUntilCancelled() async throws {
        let (ids, queue) = AsyncStream<String>.makeStream(bufferingPolicy: .unbounded)
        // Only updates that touch this host's instances wake the agent (in a large fleet most touch other hosts').
        let updates = registry.updates { [weak self] update in
            update.changes.contains { change in
                if case .instance(let id) = change { self?.owns(id) ?? false } else { false }
            }
        }
        let healthChanges = health.updates()
        await adopt()
        await abortStaleIncoming()
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                for await update in updates {
                    for change in update.changes {
                        if case .instance(let id) = change, self.owns(id) { queue.yield(id) }
                    }
                }
            }
            group.addTask {
                // A backend that went down or came back: every instance on it is looked at again.
                for await _ in healthChanges {
                    for id in self.ownedInstanceIds() { queue.yield(id) }
                }
            }
            for kind in backends.kinds where followBackendEvents {
                guard let backend = backends[kind] else { continue }
                group.addTask { await self.follow(backend) { id in if self.owns(id) { queue.yield(id) } } }
            }
            if let session {
                group.addTask { try await self.guardSession(session) { for id in $0 { queue.yield(id) } } }
            }
            group.addTask {
                // Periodic resync, the safety net: notices what no event reported.
                while !Task.isCancelled {
                    for id in self.ownedInstanceIds() { queue.yield(id) }
                    if self.mayAct { await self.collectMigratedAway() }
                    await self.abortStaleIncoming()
                    self.calmLog.flush()
                    try await Task.sleep(for: self.resyncInterval)
                }
            }
            for await id in ids {
                guard claim(id) else { continue }
                group.addTask {
                    let before = self.registry.read { $0.instances[id]?.modRevision }
                    let wake = await self.reconcile(id)
                    let askedMeanwhile = self.release(id)
                    let after = self.registry.read { $0.instances[id] }
                    if askedMeanwhile || (after.map { $0.modRevision != before && !$0.value.hasSettled } ?? false) {
                        queue.yield(id)
                    }
                    if let wake, self.plan(wake, for: id) {
                        let delay = max(0, wake.timeIntervalSince(self.clock.now))
                        try await Task.sleep(for: .milliseconds(Int64(delay * 1000) + 1))
                        self.wakeups.withLock { if $0[id] == wake { $0[id] = nil } }
                        queue.yield(id)
                    }
                }
            }
            group.cancelAll()
        }
    }

    /// Records a planned look at `id`; false when one at that time or earlier is already planned.
    private func plan(_ wake: Date, for id: String) -> Bool {
        wakeups.withLock { planned in
            if let existing = planned[id], existing <= wake, existing > clock.now { return false }
            planned[id] = wake
            return true
        }
    }

    /// Follows `backend`'s change notifications, again after a back-off when they fail, until cancelled;
    /// returns at once for a backend without them (the periodic resync covers it).
    private func follow(_ backend: any ComputeBackend, _ changed: @escaping @Sendable (String) -> Void) async {
        var backoff = Duration.milliseconds(250)
        while !Task.isCancelled {
            do {
                try await backend.followChanges(changed)
                backoff = .milliseconds(250)
            } catch BackendError.unsupported {
                return
            } catch is CancellationError {
                return
            } catch {
                calmLog.warning(
                    "backend events interrupted; following again", kind: "\(backend.kind)|events",
                    metadata: ["backend": "\(backend.kind)", "error": "\(error)"])
            }
            do { try await Task.sleep(for: backoff) } catch { return }
            backoff = min(backoff * 2, .seconds(5))
        }
    }

    private func owns(_ id: String) -> Bool {
        registry.read { $0.instances[id]?.value.workerId == identity.hostId }
    }

    func ownedInstanceIds() -> [String] {
        registry.read { $0.instances.liveIds(onWorker: identity.hostId) }
    }

    /// Claims `id` for a round; false when a round is under way (it is marked to go round again).
    private func claim(_ id: String) -> Bool {
        inFlight.withLock { rounds in
            if rounds[id] != nil {
                rounds[id] = true
                return false
            }
            rounds[id] = false
            return true
        }
    }

    /// Ends the round of `id`; true when something asked for it during the round (an event, a change).
    private func release(_ id: String) -> Bool { inFlight.withLock { $0.removeValue(forKey: id) ?? false } }

    /// After a restart: logs what each backend still holds for this host. Instances are matched by id on
    /// their next reconcile, so nothing is created twice; unknown ones are left alone.
    private func adopt() async {
        let mine = Set(ownedInstanceIds())
        for kind in backends.kinds {
            guard let backend = backends[kind] else { continue }
            do {
                let found = try await backend.list()
                let adopted = found.filter { mine.contains($0.id) }.count
                logger.info(
                    "adopting backend instances",
                    metadata: ["backend": "\(kind)", "found": "\(found.count)", "adopted": "\(adopted)"])
            } catch {
                logger.warning("could not list backend instances", metadata: ["backend": "\(kind)", "error": "\(error)"])
            }
        }
    }
}
