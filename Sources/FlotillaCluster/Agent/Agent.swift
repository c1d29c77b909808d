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
    let backends: BackendSet
    let resyncInterval: Duration
    let logger: Logger
    private let inFlight = Mutex<Set<String>>([])
    /// Instances migrated away from this host whose leftover backend instance is already gone.
    let collected = Mutex<Set<String>>([])
    /// The store revision of this agent's last successful report per instance.
    let reportedRevisions = Mutex<[String: Revision]>([:])

    public init(
        store: any ClusterStore, registry: RegistryCache, identity: HostIdentity, backends: BackendSet,
        resyncInterval: Duration = .seconds(1), logger: Logger = Logger(label: "flotilla.agent")
    ) {
        self.store = store
        self.registry = registry
        self.identity = identity
        self.backends = backends
        self.resyncInterval = resyncInterval
        self.logger = logger
    }

    /// Runs until the task is cancelled or, in a `ServiceGroup`, until graceful shutdown.
    public func run() async throws {
        try await runUntilShutdown { try await self.runUntilCancelled() }
    }

    private func runUntilCancelled() async throws {
        let (ids, queue) = AsyncStream<String>.makeStream(bufferingPolicy: .unbounded)
        let updates = registry.updates()
        await adopt()
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                for await update in updates {
                    for change in update.changes {
                        if case .instance(let id) = change, self.owns(id) { queue.yield(id) }
                    }
                }
            }
            group.addTask {
                // Periodic resync: notices changes made behind Flotilla's back (a killed process, an exit).
                while !Task.isCancelled {
                    for id in self.ownedInstanceIds() { queue.yield(id) }
                    await self.collectMigratedAway()
                    try await Task.sleep(for: self.resyncInterval)
                }
            }
            for await id in ids {
                guard claim(id) else { continue }
                group.addTask {
                    let before = self.registry.read { $0.instances[id]?.modRevision }
                    await self.reconcile(id)
                    self.release(id)
                    let after = self.registry.read { $0.instances[id] }
                    if let after, after.modRevision != before, !after.value.hasSettled { queue.yield(id) }
                }
            }
            group.cancelAll()
        }
    }

    private func owns(_ id: String) -> Bool {
        registry.read { $0.instances[id]?.value.workerId == identity.hostId }
    }

    func ownedInstanceIds() -> [String] {
        registry.read { s in
            s.instances.values.compactMap { v in
                v.value.workerId == identity.hostId && v.value.isLive ? v.value.id : nil
            }
        }
    }

    private func claim(_ id: String) -> Bool { inFlight.withLock { $0.insert(id).inserted } }
    private func release(_ id: String) { _ = inFlight.withLock { $0.remove(id) } }

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
