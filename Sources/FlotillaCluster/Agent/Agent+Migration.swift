import FlotillaCore
import Foundation
import Logging

extension Agent {
    /// Whether a live migration of `instance` is under way on this host (docs/decisions/0027-live-migration.md): the
    /// agent neither reconciles, fences nor collects it. A destination's hold ends once its registry names this host
    /// the owner after the move.
    func isHandsOff(_ instance: Instance) -> Bool {
        guard let migrations, migrations.isHeld(instance.id) else { return false }
        let movedHere =
            instance.workerId == identity.hostId && instance.lastMigration?.outcome == .moved
            && instance.lastMigration?.to == identity.hostId
        if movedHere { migrations.release(instance.id) }
        return !movedHere
    }

    /// Lets the guest of an instance that moved here live on shared disks run, now that the registry names this host
    /// its owner (the backend's no-op for any other instance; docs/decisions/0029-shared-disk-storage.md).
    func activateMovedHere(_ instance: Instance) async {
        guard let migrations, let migrator = migrations.migrators[instance.backend],
            let moved = instance.lastMigration, moved.mode == .live, moved.outcome == .moved, moved.to == identity.hostId
        else { return }
        await migrator.activateIncoming(id: instance.id)
    }

    /// Aborts the incoming live migrations of this host's backends that are no longer under way (left over after a
    /// restart, or whose source gave up without an abort reaching here): they leave nothing behind.
    func abortStaleIncoming() async {
        guard let migrations else { return }
        for (kind, backend) in migrations.migrators.sorted(by: { $0.key < $1.key }) {
            for id in await backend.incomingInstances() where !migrations.isHeld(id) {
                logger.info("aborting an incoming migration that is no longer under way", metadata: ["id": "\(id)", "backend": "\(kind)"])
                await backend.abortIncoming(id: id)
            }
        }
    }
}
