import FlotillaCore

/// One look at the whole cluster: the registry as etcd holds it and what every host's backend runs, with the
/// time it was taken.
public struct InvariantSample: Sendable {
    public var at: ContinuousClock.Instant
    /// The store revision the registry read reflects.
    public var revision: Int64
    /// Every instance record by id (deleted ones included while their record lasts).
    public var registry: [String: Instance]
    /// Every worker record by id.
    public var workers: [String: Worker]
    /// Workers whose heartbeat key exists (their session is alive).
    public var alive: Set<String>
    /// Instance id -> the hosts whose backend runs it now (sim: running in its state file; docker: a running
    /// container on its own dockerd).
    public var running: [String: [String]]

    public init(
        at: ContinuousClock.Instant, revision: Int64 = 0, registry: [String: Instance], workers: [String: Worker],
        alive: Set<String>, running: [String: [String]]
    ) {
        self.at = at
        self.revision = revision
        self.registry = registry
        self.workers = workers
        self.alive = alive
        self.running = running
    }

    /// Instances running on more than one host now.
    public var duplicates: [String: [String]] { running.filter { $0.value.count > 1 } }

    /// Whether the backends agree with the registry for instance `id`: a live instance has settled where it
    /// was asked (its state is its target) and runs exactly on its worker when it should run, nowhere otherwise;
    /// a deleted or unknown one runs nowhere.
    public func converged(_ id: String) -> Bool {
        let hosts = running[id] ?? []
        guard let instance = registry[id], instance.isLive else { return hosts.isEmpty }
        guard instance.state == instance.targetState else { return false }
        if instance.targetState == .running {
            guard let worker = instance.workerId else { return false }
            return hosts == [worker]
        }
        return hosts.isEmpty
    }
}
