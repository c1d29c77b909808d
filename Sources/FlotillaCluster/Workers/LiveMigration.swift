import FlotillaCore
import Foundation
import Logging

/// The source half of a live migration (docs/decisions/0027-live-migration.md), run by the host that owns the
/// instance: it marks the record, keeps this host's agent off the instance, has the destination prepare, moves the
/// guest with its backend, has the destination complete, and only then names the destination the owner, in one
/// fenced transaction. Until that write the source owns the instance; any failure before it leaves the guest running
/// here and says why in ``Instance/lastMigration``.
public struct LiveMigration: Sendable {
    /// How a live move ended.
    public enum Outcome: Sendable, Equatable {
        /// The destination runs it and the registry names it the owner.
        case moved(MigrationRecord)
        /// Nothing moved (or, when the switch could not be written, the instance is stopped here for the agent to
        /// start again): the reason, as recorded.
        case failed(String)
        /// Another migration of the instance is under way, or it changed meanwhile: nothing was done.
        case busy(String)
    }

    /// The longest a destination may take to prepare.
    static let prepareTimeout = Duration.seconds(30)
    /// The least time a switch's write is retried for, whatever is left of the budget.
    static let switchTimeout = Duration.seconds(10)
    /// The deadline of the best-effort abort on the destination.
    static let abortTimeout = Duration.seconds(5)

    let store: any ClusterStore
    let registry: RegistryCache
    let identity: HostIdentity
    let clock: WallClock
    let migrations: MigrationGuard
    let peers: any MigrationPeers
    /// This host's standing with the store: the switch is written only while it may act (not fenced).
    let session: StoreSession?
    let logger: Logger

    public init(
        store: any ClusterStore, registry: RegistryCache, identity: HostIdentity, clock: WallClock = .system, migrations: MigrationGuard,
        peers: any MigrationPeers, session: StoreSession?, logger: Logger = Logger(label: "flotilla.migration")
    ) {
        self.store = store
        self.registry = registry
        self.identity = identity
        self.clock = clock
        self.migrations = migrations
        self.peers = peers
        self.session = session
        self.logger = logger
    }

    /// Whether this host can drive a live move of an instance of `kind` (its backend is ``LiveMigrating``).
    public func canMigrate(_ kind: BackendKind) -> Bool { migrations.migrators[kind] != nil }

    /// Moves instance `id`, which this host owns and runs, to `destination` within `budget`.
    public func move(_ id: String, to destination: Worker, within budget: Duration) async -> Outcome {
        let monotonic = ContinuousClock()
        let end = monotonic.now + budget
        func left() -> Duration { max(monotonic.now.duration(to: end), .zero) }
        let me = identity.hostId
        guard let seen = registry.read({ $0.instances[id]?.value }), seen.workerId == me else {
            return .failed("host \(me) does not own instance \(id)")
        }
        guard let migrator = migrations.migrators[seen.backend] else {
            return .failed("the \(seen.backend.rawValue) backend of host \(me) cannot migrate live")
        }
        guard migrations.hold(id) else { return .busy("Instance \(id) is already migrating (a migration of it is under way on \(me))") }
        defer { migrations.release(id) }

        // 1. The record says a migration is under way (and a second one is refused from here on).
        let marked: Revision
        do {
            marked = try await mark(id, to: destination.id)
        } catch let error as FlotillaError {
            return .busy(error.message)
        } catch {
            return .failed("the store did not take the migration: \(error)")
        }
        logger.info("live migration started", metadata: ["id": "\(id)", "from": "\(me)", "to": "\(destination.id)"])

        // 2-4. Prepare there, move, complete there. Any failure: abort there, the guest runs on here (migrateOut
        //      leaves it paused, intact, until the destination ran it: a failure after it resumes it here).
        let figures: MigrationFigures
        var migratedOut = false
        do {
            let incoming = try await peers.prepare(
                id, on: destination, revision: marked, sharedStorage: await migrator.sharedStorage(id: id),
                timeout: min(left(), Self.prepareTimeout))
            figures = try await migrator.migrateOut(id: id, to: incoming, timeout: max(left() - .seconds(5), .seconds(1)))
            migratedOut = true
            try await peers.complete(id, on: destination, timeout: max(min(left(), .seconds(30)), .seconds(1)))
        } catch {
            let reason = Self.reason(error)
            await abortDestination(id, destination)
            if migratedOut { await resumeHere(id, migrator) }
            await record(id, Self.failure(from: me, to: destination.id, reason: reason, at: clock.now))
            logger.warning("live migration failed", metadata: ["id": "\(id)", "to": "\(destination.id)", "reason": "\(reason)"])
            return .failed(reason)
        }

        // 5. The one fenced switch of the owner; then the ended source copy goes.
        let moved = MigrationRecord(mode: .live, outcome: .moved, from: me, to: destination.id, figures: figures, at: clock.now)
        if let problem = await switchOwner(id, to: destination.id, moved, within: max(left(), Self.switchTimeout)) {
            await abortDestination(id, destination)
            await resumeHere(id, migrator)
            let reason = "the switch of the owner to \(destination.id) could not be written: \(problem)"
            logger.error(
                "live migration could not switch the owner; the destination was aborted and the guest resumed here",
                metadata: ["id": "\(id)", "to": "\(destination.id)", "problem": "\(problem)"])
            await record(id, Self.failure(from: me, to: destination.id, reason: reason, at: clock.now))
            return .failed(reason)
        }
        do {
            try await withDeadline(.seconds(30)) { try await migrator.delete(id: id, force: true) }
        } catch {
            // The agent's collection of migrated-away instances deletes it later.
            logger.warning("could not delete the migrated source copy", metadata: ["id": "\(id)", "error": "\(error)"])
        }
        logger.info(
            "live migration done",
            metadata: [
                "id": "\(id)", "to": "\(destination.id)", "totalMs": "\(figures.totalMilliseconds)",
                "downtimeMs": "\(figures.downtimeMilliseconds)",
            ])
        return .moved(moved)
    }

    // MARK: Records

    /// The record of a failed live migration: nothing moved, for `reason`.
    static func failure(from: String, to: String, reason: String, at: Date) -> MigrationRecord {
        MigrationRecord(mode: .live, outcome: .failed, from: from, to: to, reason: reason, at: at)
    }

    /// The instance as the switch writes it: owned by `destination`, migrated from its source, running.
    static func switched(_ instance: Instance, to destination: String, _ moved: MigrationRecord, now: Date) -> Instance {
        var new = instance
        new.migratedFrom = instance.workerId
        new.workerId = destination
        new.migrateTo = nil
        new.state = .running
        new.lastMigration = moved
        new.updatedAt = now
        return new
    }

    /// Writes `lastMigration = {live, migrating}` on the record as the store holds it (compared on its revision):
    /// refused when this host does not own it, it does not run, or another migration is recorded under way.
    private func mark(_ id: String, to destination: String) async throws -> Revision {
        let me = identity.hostId
        let now = clock.now
        let outcome = try await store.update(StoreKeys.instance(id)) { kv -> StoreChange? in
            guard let kv, let old = try? StoreCodec.decode(Instance.self, from: kv.value), old.isLive else {
                throw FlotillaError.instanceNotFound(id)
            }
            guard old.workerId == me, old.state == .running else {
                let place = old.workerId ?? "no host"
                throw FlotillaError(.invalidState, "Instance \(id) changed meanwhile: it is \(old.state.rawValue) on \(place)")
            }
            // A live migration this host recorded but holds no more (this process holds the id now) was cut short by a
            // restart of this host: it is over, and this one may begin. Any other move under way is refused.
            if let last = old.lastMigration, last.outcome == .migrating, !(last.mode == .live && last.from == me) {
                throw FlotillaError(.invalidState, "Instance \(id) is already migrating to \(last.to)")
            }
            var new = old
            new.lastMigration = MigrationRecord(mode: .live, outcome: .migrating, from: me, to: destination, at: now)
            new.updatedAt = now
            return StoreChange(ops: try InstanceTransitions.writeOps(old: old, new: new))
        }
        guard case .written(let revision) = outcome else { throw FlotillaError.instanceNotFound(id) }
        return revision
    }

    /// Whether `instance` still carries this host's live migration from `from` to `to`, as `mark` wrote it: writes
    /// meanwhile that leave it so (an agent's report of the instance, made just before its hold began) do not matter;
    /// another move, a deletion or a record of the outcome do.
    static func carries(_ instance: Instance, from: String, to: String) -> Bool {
        guard instance.isLive, instance.workerId == from, let migration = instance.lastMigration else { return false }
        return migration.mode == .live && migration.outcome == .migrating && migration.from == from && migration.to == to
    }

    /// Writes the switch: compared on the record still carrying this migration (``carries(_:from:to:)``, checked on
    /// the revision read) and on this host's registration (its heartbeat
    /// key, which lives under its lease), and only while this host is not fenced. Retries a store that does not
    /// answer until `within` passed; nil when written, else what stopped it.
    private func switchOwner(_ id: String, to destination: String, _ moved: MigrationRecord, within: Duration)
        async -> String?
    {
        let monotonic = ContinuousClock()
        let end = monotonic.now + within
        let me = identity.hostId
        var problem = "no attempt"
        while monotonic.now < end {
            if let session, !session.mayAct {
                problem = "host \(me) is cut off from the store (fenced)"
            } else {
                do {
                    let now = clock.now
                    let outcome = try await store.update(StoreKeys.instance(id), attempts: 3) { kv -> StoreChange? in
                        guard let kv, let old = try? StoreCodec.decode(Instance.self, from: kv.value),
                            Self.carries(old, from: me, to: destination)
                        else { throw FlotillaError(.invalidState, "instance \(id) changed during the migration") }
                        let new = Self.switched(old, to: destination, moved, now: now)
                        let registered = Compare(key: StoreKeys.alive(me), target: .createRevision(0), op: .greater)
                        return StoreChange(compares: [registered], ops: try InstanceTransitions.writeOps(old: old, new: new))
                    }
                    if case .written = outcome { return nil }
                    problem = "the store wrote nothing"
                } catch let error as FlotillaError {
                    return error.message
                } catch {
                    problem = "\(error)"
                }
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return problem
    }

    /// Records `migration` (the outcome) on the instance when it still carries the migration (one write, best
    /// effort: the store may be what failed).
    private func record(_ id: String, _ migration: MigrationRecord) async {
        do {
            _ = try await withDeadline(.seconds(10)) { [store] in
                try await store.update(StoreKeys.instance(id)) { kv -> StoreChange? in
                    guard let kv, let old = try? StoreCodec.decode(Instance.self, from: kv.value),
                        Self.carries(old, from: migration.from, to: migration.to)
                    else { return nil }
                    var new = old
                    new.lastMigration = migration
                    return StoreChange(ops: try InstanceTransitions.writeOps(old: old, new: new))
                }
            }
        } catch {
            logger.error("could not record the migration's outcome", metadata: ["id": "\(id)", "error": "\(error)"])
        }
    }

    /// Resumes the guest that migrateOut left paused here, when the move did not complete; if even that fails, the
    /// agent finds the instance paused or gone once the hold ends and brings it back to its desired state.
    private func resumeHere(_ id: String, _ migrator: any LiveMigrating) async {
        do {
            try await withDeadline(.seconds(30)) { try await migrator.resumeMigratedOut(id: id) }
        } catch {
            logger.error("could not resume the guest after a move that did not complete", metadata: ["id": "\(id)", "error": "\(error)"])
        }
    }

    private func abortDestination(_ id: String, _ destination: Worker) async {
        do {
            try await peers.abort(id, on: destination, timeout: Self.abortTimeout)
        } catch {
            logger.warning(
                "could not abort the incoming migration on the destination; its agent aborts it",
                metadata: ["id": "\(id)", "to": "\(destination.id)", "error": "\(error)"])
        }
    }

    /// A failure's reason as the instance records it.
    public static func reason(_ error: any Error) -> String {
        switch error {
        case let e as BackendError: return e.description
        case let e as MigrationPeerError: return e.reason
        case let e as FlotillaError: return e.message
        case is DeadlineExceeded: return "a step did not finish in time"
        default: return "\(error)"
        }
    }
}
