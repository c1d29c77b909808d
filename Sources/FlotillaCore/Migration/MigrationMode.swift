/// How an instance moves (docs/decisions/0027-live-migration.md). Pure: the migration shell asks before it acts.
public enum MigrationMode: Sendable, Equatable {
    /// The guest keeps running while its memory and disks move.
    case live
    /// Stop on the source, start on the destination, for the reason given (recorded in the instance).
    case cold(reason: String)

    /// The mode for moving `instance` when `live` was asked for (or not), given whether the backend of each host
    /// can migrate live (the source's and the destination's backend of the instance's kind implement
    /// ``LiveMigrating``). Without `live`, the move is cold and says it was asked that way.
    public static func decide(
        _ instance: Instance, live: Bool, sourceCanMigrateLive: Bool, destinationCanMigrateLive: Bool
    ) -> MigrationMode {
        guard live else { return .cold(reason: "a cold move was asked for") }
        switch instance.backend {
        case .docker:
            return .cold(reason: "docker containers move cold: their processes are not carried over (no CRIU)")
        case .kvm, .sim:
            break
        }
        guard instance.state == .running else {
            return .cold(reason: "it is \(instance.state.rawValue), not running: there is no running guest to carry over")
        }
        guard sourceCanMigrateLive else {
            return .cold(reason: "the source's \(instance.backend.rawValue) backend cannot migrate live")
        }
        guard destinationCanMigrateLive else {
            return .cold(reason: "the destination's \(instance.backend.rawValue) backend cannot migrate live")
        }
        return .live
    }
}
