import FlotillaCore

/// What a migration of one instance came to (``WorkerService/migrate(instance:from:to:live:within:)``).
public enum MigrationOutcome: Sendable, Equatable {
    /// It settled on its destination (the named worker, when one was named), or left `from` on its own meanwhile.
    case moved
    /// Refused before anything changed: the instance still runs where it was.
    case refused(MigrationRefusal)
    /// Stopping it failed, it changed meanwhile, or it did not settle elsewhere within the budget (it may still be
    /// on its way).
    case failed
    /// A live migration failed before the owner switched: the guest runs on where it was (the reason, as recorded in
    /// ``Instance/lastMigration``), or, when only the switch could not be written, it is stopped there for its agent.
    case failedLive(String)
    /// A cold move did not settle within the budget but is still on its way to the named worker, which can still take
    /// it: the leader places it there (never back on its source); its ``Instance/lastMigration`` says `moved` once it
    /// is placed.
    case underWay(String)
    /// Another migration of the instance is under way (or it changed meanwhile): nothing was done.
    case busy(String)
}
