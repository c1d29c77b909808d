public import Foundation

/// Every change of an instance record, as pure functions: the API accepting an action, the leader placing or
/// rescheduling, the owning host recording what its backend did, a deletion finishing. Services read a record,
/// call one of these and write the result with one compare-and-swap; none edits records by hand
/// (docs/decisions/0011-lifecycle-core-and-restart-policies.md).
public enum InstanceTransitions {
    // MARK: The API

    /// The record after the API accepted `action`. Throws `INVALID_STATE` when `options.rules` or the action table
    /// refuse it. A user action resets the restart policy's count: what the user asked for now is what counts.
    public static func accept(_ action: LifecycleAction, options: ActionOptions, on instance: Instance, now: Date)
        throws(FlotillaError) -> Instance
    {
        let accepted = try LifecycleStateMachine.request(
            action, from: instance.state, rules: options.rules, instanceId: instance.id)
        var new = instance
        new.updatedAt = now
        new.restarts = nil
        if action == .delete && instance.workerId == nil {
            // Never placed: nothing runs anywhere, so the delete completes here.
            return finishDelete(new, reason: nil, now: now)
        }
        new.state = accepted.state
        new.desired = accepted.desired
        new.stateDescription = nil
        let timeout = options.timeoutSeconds ?? ActionOptions.defaultTimeoutSeconds
        switch action {
        case .stop, .delete:
            new.stopOptions = StopOptions(force: options.force, timeoutSeconds: timeout)
        case .restart:
            new.hardRestart = options.hard
            new.restartCount += 1
            new.stopOptions = StopOptions(force: options.hard, timeoutSeconds: timeout)
        case .start, .pause, .resume:
            break
        }
        return new
    }

    // MARK: The leader

    /// The record once the scheduler placed it on `workerId`: the owning host creates it next.
    public static func place(_ instance: Instance, on workerId: String, now: Date) -> Instance {
        var new = instance
        new.workerId = workerId
        new.state = .creating
        new.stateDescription = nil
        // A migration's target is spent once the instance is placed: a later move or repair picks freely.
        new.migrateTo = nil
        // A cold move on its way to this worker has arrived (the one who asked may have stopped waiting for it).
        if var migration = new.lastMigration, migration.mode == .cold, migration.outcome == .migrating,
            migration.to == workerId
        {
            migration.outcome = .moved
            new.lastMigration = migration
        }
        new.updatedAt = now
        return new
    }

    /// The record of a pending instance no worker can take, saying why; nil when it already says so.
    public static func waitForWorker(_ instance: Instance, reason: String, now: Date) -> Instance? {
        let description = "waiting for a worker: \(reason)"
        guard instance.stateDescription != description else { return nil }
        var new = instance
        new.stateDescription = description
        new.updatedAt = now
        return new
    }

    /// The record of an instance taken off `worker` (dead, or drained with migration): unplaced and `pending`,
    /// so the scheduler places it again; its desired state kept (paused becomes running: a new copy starts
    /// fresh); `migratedFrom` names the worker, whose agent deletes any leftover copy and never starts it.
    /// `desired` replaces the desired state first (a migration stopped the instance to move it, and restores
    /// what was wanted before the stop).
    public static func returnToPending(
        _ instance: Instance, from worker: String, reason: String, desired: DesiredState? = nil, now: Date
    ) -> Instance {
        var new = instance
        new.workerId = nil
        new.state = .pending
        if let desired { new.desired = desired }
        if new.desired == .paused { new.desired = .running }
        new.stateDescription = reason
        new.migratedFrom = worker
        new.stopOptions = StopOptions()
        new.hardRestart = false
        new.restarts = nil
        new.updatedAt = now
        return new
    }

    /// The record of a finished deletion (a tombstone; its name is released in the same write: see
    /// ``writeOps(old:new:)``).
    public static func finishDelete(_ instance: Instance, reason: String?, now: Date) -> Instance {
        var new = instance
        new.state = .deleted
        new.desired = .deleted
        new.stateDescription = reason
        new.terminatedAt = now
        new.updatedAt = now
        return new
    }

    // MARK: The owning host

    /// The record after the owning host reported `report`, having acted on `seen`. Nil when the report is stale:
    /// the instance changed meanwhile (another action was asked for: its own reconcile follows), it is gone, or
    /// the change is not one a host may report.
    public static func record(_ report: Report, on current: Instance, actedOn seen: Instance, now: Date) -> Instance? {
        guard current.state == seen.state, current.desired == seen.desired, current.isLive,
            current.workerId == seen.workerId, isLegal(report.state, for: current)
        else { return nil }
        if report.state == .deleted { return finishDelete(current, reason: report.description, now: now) }
        var new = current
        new.state = report.state
        new.stateDescription = report.description
        new.restarts = report.restarts
        if let desired = report.desired { new.desired = desired }
        if report.launched {
            new.launchedAt = now
            new.appliedGeneration = current.generation
        }
        if report.resourcesApplied { new.appliedGeneration = seen.generation }
        if report.state == .running, new.appliedGeneration == 0 { new.appliedGeneration = current.generation }
        if report.state == .stopped || report.state == .error, current.state != report.state { new.terminatedAt = now }
        guard new != current else { return nil }
        new.updatedAt = now
        return new
    }

    /// Whether the owning host may report `state` for `instance`: an edge of the observation graph, or the end
    /// of a deletion that was asked for (a delete that failed into `error` and is carried out on a later round).
    public static func isLegal(_ state: InstanceState, for instance: Instance) -> Bool {
        LifecycleStateMachine.observe(from: instance.state, to: state) || (state == .deleted && instance.desired == .deleted)
    }

    // MARK: Writing

    /// The store operations that write `new` over `old`: the record, and the release of the name and of the
    /// interfaces' addresses when the instance stops being live (both are unique among live instances only).
    public static func writeOps(old: Instance, new: Instance) throws -> [TxnOp] {
        var ops: [TxnOp] = [.put(StoreKeys.instance(new.id), try StoreCodec.encode(new))]
        if old.isLive && !new.isLive {
            ops.append(.delete(key: StoreKeys.name(new.name)))
            ops += addressKeys(of: new).map { .delete(key: $0) }
        }
        return ops
    }

    /// The store keys of the addresses an instance's interfaces hold.
    public static func addressKeys(of instance: Instance) -> [String] {
        (instance.spec.config.networks ?? []).compactMap { interface in
            interface.address.map { StoreKeys.address(network: interface.network, $0) }
        }
    }
}

/// What the owning host reports about one instance after acting on it (or only looking at it).
public struct Report: Sendable, Equatable {
    public var state: InstanceState
    public var description: String?
    /// The backend (re)started the instance: its launch time and applied spec generation move on.
    public var launched: Bool
    /// The instance's pending resources were applied to it live.
    public var resourcesApplied: Bool
    /// A new desired state, when the restart policy decides the instance is not to run any more.
    public var desired: DesiredState?
    /// The restart policy's status after this report.
    public var restarts: RestartStatus?

    public init(
        state: InstanceState, description: String? = nil, launched: Bool = false, resourcesApplied: Bool = false,
        desired: DesiredState? = nil, restarts: RestartStatus? = nil
    ) {
        self.state = state
        self.description = description
        self.launched = launched
        self.resourcesApplied = resourcesApplied
        self.desired = desired
        self.restarts = restarts
    }
}
