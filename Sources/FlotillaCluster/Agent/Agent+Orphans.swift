import FlotillaCore
import Foundation
import Logging
import Synchronization

extension Agent {
    /// Deletes the backend instances this host still holds for instances a drain migrated away from it
    /// (`migratedFrom` is this host and the instance is placed elsewhere, or deleted). Only ids the registry
    /// records as migrated from this host are touched: never a backend instance Flotilla does not own, never
    /// one another host owns.
    func collectMigratedAway() async {
        let me = identity.hostId
        // An instance migrated back here may be migrated away again later: forget that it was collected.
        let ownedAgain = Set(ownedInstanceIds())
        let done = collected.withLock { set in
            set.subtract(ownedAgain)
            return set
        }
        let candidates = registry.read { s in
            Set(
                s.instances.migrated(from: me)
                    .filter { ($0.workerId != me || !$0.isLive) && !done.contains($0.id) }
                    .filter { !self.isHandsOff($0) }
                    .map(\.id))
        }
        guard !candidates.isEmpty else { return }
        var finished = candidates
        for kind in backends.kinds {
            guard let backend = backends[kind] else { continue }
            let found: [ObservedInstance]
            do { found = try await backend.list() } catch {
                logger.warning("could not list backend instances", metadata: ["backend": "\(kind)", "error": "\(error)"])
                return
            }
            for observed in found where candidates.contains(observed.id) {
                do {
                    if observed.state == .running || observed.state == .paused {
                        // Graceful first; the delete below forces it if the stop fails (it runs elsewhere now).
                        try? await backend.stop(id: observed.id, force: false, timeout: .seconds(30))
                    }
                    try await backend.delete(id: observed.id, force: true)
                    logger.info("deleted migrated-away instance", metadata: ["id": "\(observed.id)", "backend": "\(kind)"])
                } catch BackendError.notFound {
                    continue
                } catch {
                    logger.warning("could not delete migrated-away instance", metadata: ["id": "\(observed.id)", "error": "\(error)"])
                    finished.remove(observed.id)
                }
            }
        }
        let collectedNow = finished
        collected.withLock { $0.formUnion(collectedNow) }
    }
}
