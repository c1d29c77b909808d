import FlotillaCore
import Foundation
import Synchronization

/// This host's side of live migrations (docs/decisions/0027-live-migration.md): which of its backends can migrate
/// live, and which instances are in a live migration here (as its source or its destination). The agent leaves those
/// alone (no reconcile, no fence, no collection): the source guest is paused for a moment and then ended, the
/// destination's copy is not the registry's yet, and neither is to be "repaired".
public final class MigrationGuard: Sendable {
    /// This host's backends that can migrate live, by kind (the adapters themselves: instrumented wrappers are not
    /// ``LiveMigrating``).
    public let migrators: [BackendKind: any LiveMigrating]
    /// Held instances, each until released or, when set, until its time passed.
    private let held = Mutex<[String: ContinuousClock.Instant?]>([:])

    public init(migrators: [BackendKind: any LiveMigrating] = [:]) {
        self.migrators = migrators
    }

    /// The adapters of `backends` that can migrate live.
    public convenience init(backends: BackendSet) {
        var found: [BackendKind: any LiveMigrating] = [:]
        for kind in backends.kinds {
            if let migrating = backends[kind] as? any LiveMigrating { found[kind] = migrating }
        }
        self.init(migrators: found)
    }

    /// Holds `id` for a migration, until released or, with `limit`, at most that long (a destination whose source
    /// went silent); false when it is held already (another migration of it is under way here).
    public func hold(_ id: String, for limit: Duration? = nil) -> Bool {
        held.withLock { table in
            if let entry = table[id], entry.map({ $0 > .now }) ?? true { return false }
            table[id] = .some(limit.map { .now + $0 })
            return true
        }
    }

    /// Releases `id` at once, or after `delay` (the destination, until its registry names it the owner).
    public func release(_ id: String, after delay: Duration? = nil) {
        held.withLock { table in
            if let delay { table[id] = .some(.now + delay) } else { table[id] = nil }
        }
    }

    /// Whether the agent must leave `id` alone now.
    public func isHeld(_ id: String) -> Bool {
        held.withLock { table in
            guard let entry = table[id] else { return false }
            guard let until = entry else { return true }
            if until > .now { return true }
            table[id] = nil
            return false
        }
    }
}
