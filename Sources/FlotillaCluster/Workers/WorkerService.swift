import FlotillaCore
import Foundation
import Logging

/// What a drain did.
public struct DrainOutcome: Sendable, Equatable {
    public var worker: Worker
    public var revision: Revision
    /// Instances moved to another worker (only with `migrate`).
    public var migrated: [String] = []
    /// Instances left on the worker: no other worker could take them, or the deadline passed first.
    public var notMigrated: [String] = []
    /// How each instance of the drain moved, or why it did not (live or cold, and the reason for a cold move or a
    /// failure), by instance id: each instance's ``Instance/lastMigration`` as the drain left it.
    public var moves: [String: MigrationRecord] = [:]
}

/// The command side of the worker API: drain, activate and migrate away. Each change is one store
/// transaction compared on the record's revision (the one compare-and-swap update).
public final class WorkerService: Sendable {
    let store: any ClusterStore
    let registry: RegistryCache
    let identity: HostIdentity
    let timings: ClusterTimings
    let clock: WallClock
    let instances: InstanceService
    /// This host's side of live migrations: its migrating backends and the instances its agent leaves alone.
    public let migrations: MigrationGuard
    /// The source half of live migrations; nil: every move is cold.
    let live: LiveMigration?
    let logger: Logger

    public init(
        store: any ClusterStore, registry: RegistryCache, identity: HostIdentity, timings: ClusterTimings = ClusterTimings(),
        clock: WallClock = .system, instances: InstanceService,
        migrations: MigrationGuard = MigrationGuard(), live: LiveMigration? = nil,
        logger: Logger = Logger(label: "flotilla.workers")
    ) {
        self.store = store
        self.registry = registry
        self.identity = identity
        self.timings = timings
        self.clock = clock
        self.instances = instances
        self.migrations = migrations
        self.live = live
        self.logger = logger
    }

    /// The error every worker route answers for an unknown worker.
    public static func notFound(_ id: String) -> FlotillaError {
        FlotillaError(.notFound, "Worker not found: \(id)", details: ["workerId": .string(id)])
    }

    /// A known worker (online or not).
    public func worker(id: String) throws(FlotillaError) -> Worker {
        guard let w = registry.read({ $0.workers[id]?.value }) else { throw Self.notFound(id) }
        return w
    }

    /// Returns the worker to `active`: the scheduler places on it again.
    public func activate(id: String) async throws(FlotillaError) -> (Worker, Revision) {
        try await setAdminStatus(.active, id: id)
    }

    /// Marks the worker `draining` (no new placements). With `migrate`, moves each of its live instances to
    /// another eligible worker until `deadline` passes: live when it can (run on the drained worker itself, which
    /// drives its live moves), else cold (stop, re-create there, start), each with its reason in ``DrainOutcome/moves``.
    public func drain(id: String, migrate: Bool = false, deadline: Duration = .seconds(120)) async throws(FlotillaError)
        -> DrainOutcome
    {
        let monotonic = ContinuousClock()
        let end = monotonic.now + deadline
        let (worker, revision) = try await setAdminStatus(.draining, id: id)
        var outcome = DrainOutcome(worker: worker, revision: revision)
        guard migrate else { return outcome }
        let ids = registry.read { s in
            s.instances.live(onWorker: id).sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }.map(\.id)
        }
        for instanceId in ids {
            let left = monotonic.now.duration(to: end)
            var moved = false
            if left > .zero {
                var result = await self.migrate(instance: instanceId, from: id, live: true, within: left)
                // A drain empties the host: a live move that failed (the guest runs on here) is done cold instead.
                if case .failedLive(let reason) = result, monotonic.now < end {
                    result = await self.migrate(
                        instance: instanceId, from: id, within: monotonic.now.duration(to: end),
                        coldReason: "the live migration failed: \(reason)")
                }
                moved = result == .moved
            }
            if moved { outcome.migrated.append(instanceId) } else { outcome.notMigrated.append(instanceId) }
            if let record = registry.read({ $0.instances[instanceId]?.value.lastMigration }), record.from == id {
                outcome.moves[instanceId] = record
            }
            outcome.revision = max(outcome.revision, registry.revision)
        }
        logger.info(
            "worker drained",
            metadata: ["worker": "\(id)", "migrated": "\(outcome.migrated.count)", "left": "\(outcome.notMigrated.count)"])
        return outcome
    }

    // MARK: Migration

    /// Moves one instance off `from` (surface D's migrate action, and drain with `migrate`), to exactly `target` when
    /// one is named: waits for it to settle, asks ``MigrationDecision`` where it may go (a refusal changes nothing),
    /// then ``MigrationMode`` how. Live (asked for, and this host is the source and can): ``LiveMigration``. Cold:
    /// stops it gracefully, returns it to `pending` carrying that worker for the leader, and waits until it settled
    /// there within `budget`. Either way the instance's ``Instance/lastMigration`` says how it moved, or why not.
    public func migrate(
        instance id: String, from: String, to target: String? = nil, live wantsLive: Bool = false, within budget: Duration
    ) async -> MigrationOutcome {
        await migrate(instance: id, from: from, to: target, live: wantsLive, within: budget, coldReason: nil)
    }

    /// ``migrate(instance:from:to:live:within:)``; with `coldReason`, a cold move for that reason.
    func migrate(
        instance id: String, from: String, to target: String? = nil, live wantsLive: Bool = false, within budget: Duration,
        coldReason forced: String?
    ) async -> MigrationOutcome {
        let monotonic = ContinuousClock()
        let end = monotonic.now + budget
        func left() -> Duration { max(monotonic.now.duration(to: end), .zero) }

        // 1. Wait out any action in flight.
        let settled = await registry.wait(timeout: left()) { s in
            guard let i = s.instances[id]?.value else { return true }
            return !i.isLive || i.workerId != from || [.running, .stopped, .paused, .error].contains(i.state)
        }
        guard let state = settled, let current = state.instances[id]?.value else { return .failed }
        guard current.isLive, current.workerId == from else { return .moved }

        // 2. Only stop what the target (or another worker) can run.
        let workers = state.schedulableWorkers(now: clock.now, healthWindow: timings.healthWindow)
        let destination: String
        switch MigrationDecision.decide(current, from: from, target: target, workers: workers) {
        case .move(let workerId): destination = workerId
        case .refused(let refusal):
            logger.info("instance not migrated", metadata: ["id": "\(id)", "refusal": "\(refusal)"])
            return .refused(refusal)
        }
        // 2b. Live or cold, and why.
        let coldReason: String
        switch forced.map({ MigrationMode.cold(reason: $0) }) ?? mode(current, from: from, to: destination, live: wantsLive, in: state) {
        case .live:
            guard let live, let worker = state.workers[destination]?.value else { return .failed }
            let outcome = await live.move(id, to: worker, within: left())
            // What the caller reads next (the answer, the drain's moves) is this host's registry: it holds the outcome.
            if case .busy = outcome {
            } else {
                _ = await registry.wait(timeout: .seconds(5)) { s in
                    guard let record = s.instances[id]?.value.lastMigration else { return false }
                    return record.outcome != .migrating
                }
            }
            switch outcome {
            case .moved: return .moved
            case .failed(let reason): return .failedLive(reason)
            case .busy(let reason): return .busy(reason)
            }
        case .cold(let reason): coldReason = reason
        }
        let cold = { (outcome: MigrationRecord.Outcome, why: String) in
            MigrationRecord(mode: .cold, outcome: outcome, from: from, to: destination, reason: why, at: self.clock.now)
        }

        // 3. Stop it gracefully on the old worker.
        if current.state == .running || current.state == .paused {
            // At most half of what is left goes to the graceful stop: the rest is for the destination to start it.
            let seconds = max(1, Int(left().components.seconds) / 2)
            guard
                let written = try? await instances.perform(
                    .stop, id: id, options: ActionOptions(force: false, timeoutSeconds: min(seconds, 30)))
            else {
                await record(id, cold(.failed, "\(coldReason); it could not be stopped on \(from)"))
                return .failed
            }
            let (stopped, _) = await instances.settle(written, timeout: left())
            guard stopped.state == .stopped || stopped.state == .error else {
                await record(id, cold(.failed, "\(coldReason); it did not stop on \(from) in time"))
                return .failed
            }
        }

        // 4. Clear the placement, carrying the destination (the target, or the scheduler's pick among the other
        //    workers, so the leader never puts it back on `from`): the leader places it there, that host's agent
        //    creates and starts it. Placing it clears the destination (InstanceTransitions.place).
        let moved: Written
        do {
            let now = clock.now
            moved = try await instances.mutate(id: id) { instance throws(FlotillaError) in
                guard instance.workerId == from, instance.state == .stopped || instance.state == .error else {
                    throw FlotillaError(.invalidState, "instance \(id) changed during migration")
                }
                // The stop above set desired to stopped: the new copy runs as it did before the move.
                instance = InstanceTransitions.returnToPending(
                    instance, from: from, reason: "migrating from worker \(from)", desired: current.desired, now: now)
                instance.migrateTo = destination
                instance.lastMigration = cold(.migrating, coldReason)
            }
        } catch {
            return .failed
        }
        logger.info("instance migrating", metadata: ["id": "\(id)", "from": "\(from)", "to": "\(destination)"])

        // 5. Wait until it settled on its new worker.
        let goal = moved.instance.targetState
        let done = await registry.wait(timeout: left()) { s in
            guard s.revision >= moved.revision, let i = s.instances[id]?.value else { return false }
            guard i.isLive else { return true }
            guard i.workerId == destination else { return false }
            return i.state == goal || i.state == .error
        }
        if done != nil {
            await record(id, cold(.moved, coldReason))
            return .moved
        }
        // Not settled in time. While the destination can still take it, it stays on its way there: the leader places
        // it there and nowhere else — never back on `from`, where it would boot again behind a failure. Only when
        // the destination can no longer take it is the destination dropped, for the leader to place it anywhere.
        let stillThere = registry.read { s in
            s.schedulableWorkers(now: clock.now, healthWindow: timings.healthWindow).contains {
                $0.id == destination && $0.status == .active && $0.healthy
            }
        }
        if stillThere {
            logger.info("cold move still under way", metadata: ["id": "\(id)", "to": "\(destination)"])
            return .underWay(destination)
        }
        await dropDestination(id)
        await record(id, cold(.failed, "\(coldReason); \(destination) can no longer take it, so the leader places it anew"))
        return .failed
    }

    /// How `instance` moves from `from` to `destination`: ``MigrationMode`` with what this host knows. This host can
    /// drive a live move only as the source; the destination can take one when it runs the instance's backend (every
    /// kvm and sim backend migrates live).
    func mode(_ instance: Instance, from: String, to destination: String, live wantsLive: Bool, in state: RegistryState)
        -> MigrationMode
    {
        let here = from == identity.hostId
        let sourceCan = here && (live?.canMigrate(instance.backend) ?? false)
        let destinationCan = state.workers[destination]?.value.capabilities.contains(instance.backend) ?? false
        let mode = MigrationMode.decide(
            instance, live: wantsLive, sourceCanMigrateLive: sourceCan, destinationCanMigrateLive: destinationCan)
        if case .cold = mode, wantsLive, !here, instance.backend != .docker, instance.state == .running {
            return .cold(reason: "host \(identity.hostId) moved it, not its source host \(from), which drives live moves")
        }
        return mode
    }

    /// Sets the instance's ``Instance/lastMigration`` (one write; a record that cannot be written is logged).
    private func record(_ id: String, _ migration: MigrationRecord) async {
        do {
            _ = try await instances.mutate(id: id) { instance throws(FlotillaError) in instance.lastMigration = migration }
        } catch {
            logger.warning("could not record the migration", metadata: ["id": "\(id)", "error": "\(error)"])
        }
    }

    /// Clears a migration's destination from an instance still pending on it when the migration gave up waiting
    /// (the destination was drained or died after the check, or the leader is slow): the leader then places it on
    /// any worker, so it is not stranded on one that may never take it.
    private func dropDestination(_ id: String) async {
        do {
            _ = try await instances.mutate(id: id) { instance throws(FlotillaError) in
                guard instance.state == .pending, instance.workerId == nil, instance.migrateTo != nil else {
                    throw FlotillaError(.invalidState, "instance \(id) was placed meanwhile")
                }
                instance.migrateTo = nil
            }
            logger.info("migration destination dropped", metadata: ["id": "\(id)"])
        } catch {
            logger.debug("migration destination not dropped", metadata: ["id": "\(id)", "error": "\(error)"])
        }
    }

    // MARK: Store

    /// Sets `adminStatus` on the worker's record with one compare-and-swap (``ClusterStore/update(_:attempts:_:)``),
    /// visible in this host's registry when it returns (a drain then asks the scheduler for other workers).
    func setAdminStatus(_ status: WorkerAdminStatus, id: String) async throws(FlotillaError) -> (Worker, Revision) {
        var updated: Worker?
        do {
            let outcome = try await store.update(StoreKeys.worker(id)) { kv -> StoreChange? in
                guard let kv, var worker = try? StoreCodec.decode(Worker.self, from: kv.value) else { throw Self.notFound(id) }
                worker.adminStatus = status
                updated = worker
                return StoreChange(ops: [.put(kv.key, try StoreCodec.encode(worker))])
            }
            guard case .written(let revision) = outcome, let updated else { throw Self.notFound(id) }
            logger.info("worker status set", metadata: ["worker": "\(id)", "status": "\(status.rawValue)"])
            await registry.catchUp(to: revision)
            return (updated, revision)
        } catch {
            throw instances.storeError(error)
        }
    }
}
