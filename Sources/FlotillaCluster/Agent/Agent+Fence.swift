import FlotillaCore
import Foundation
import Logging
import Synchronization

extension Agent {
    /// How often the agent looks at its standing with the store.
    static let sessionCheckInterval = Duration.milliseconds(200)

    /// Whether the agent may act on its instances now: connected to the store, and not fenced (the session's
    /// phase is `fenced` until the fence is lifted).
    var mayAct: Bool { session?.mayAct ?? true }

    /// Watches this host's standing with the store until cancelled (docs/decisions/0016-self-fencing.md): once cut
    /// off for the fence bound, stops every instance it owns (those that opt out excepted) and keeps them stopped;
    /// once it has renewed its session and its registry holds a write made after that, lifts the fence and hands
    /// every instance to `reconcileAll`, which decides on a current registry.
    func guardSession(_ session: StoreSession, reconcileAll: @escaping @Sendable ([String]) -> Void) async throws {
        var wasUnsure = false
        // Whether this loop has seen the fence up (and stopped the instances) since it last lifted.
        var up = false
        var looks = 0
        while !Task.isCancelled {
            looks += 1
            let phase = session.phase()
            if phase == .fenced {
                if !up {
                    logger.warning(
                        "cut off from the store: fencing this host's instances",
                        metadata: ["silence": "\(session.silence)", "fenceAfter": "\(session.bounds.fenceAfter)"])
                }
                // At once, then every second while fenced: whatever of this host's still runs (a start that was
                // under way when the fence came up) stops.
                if !up || looks % 5 == 0 { await enforceFence(session.bounds) }
                up = true
                if session.rejoin(registryRevision: registry.revision) {
                    up = false
                    let stopped = fenced.withLock { $0.count }
                    logger.notice("store reachable again: fence lifted", metadata: ["fencedInstances": "\(stopped)"])
                    await deleteFencedMovedAway()
                    reconcileAll(ownedInstanceIds())
                }
            } else if phase == .unsure, !wasUnsure {
                logger.warning("store lease not renewed: holding still", metadata: ["silence": "\(session.silence)"])
            }
            wasUnsure = phase == .unsure
            try await Task.sleep(for: Self.sessionCheckInterval)
        }
    }

    /// The instances this host believes it owns (its registry may be stale) that the fence stops.
    private func fenceTargets() -> [Instance] {
        registry.read { s in
            s.instances.live(onWorker: identity.hostId).filter { $0.spec.placement.effectiveHostLoss == .reschedule }
        }.filter { !isHandsOff($0) }
    }

    /// Stops every fence target its backend reports running or paused, all at once (each within the stop timeout):
    /// kvm guests are paused first (frozen at once), then killed; containers and sim instances get a graceful stop.
    private func enforceFence(_ bounds: FenceBounds) async {
        let targets = fenceTargets()
        await withTaskGroup(of: Void.self) { group in
            for instance in targets {
                guard let backend = backends[instance.backend] else { continue }
                group.addTask {
                    let id = instance.id
                    let running: Bool
                    do {
                        let seen = try await withDeadline(bounds.fenceStopTimeout) { try await backend.inspect(id: id) }
                        running = seen.state == .running || seen.state == .paused
                    } catch BackendError.notFound {
                        return
                    } catch {
                        running = true  // Unknown: stop it anyway.
                    }
                    // Only what the fence stops is the fence's: an instance stopped on purpose stays as it was.
                    guard running else { return }
                    self.fenced.withLock { $0[id] = instance.backend }
                    do {
                        try await withDeadline(bounds.fenceStopTimeout + .seconds(2)) {
                            if instance.backend == .kvm {
                                try? await backend.pause(id: id)
                                try await backend.stop(id: id, force: true, timeout: .zero)
                            } else {
                                try await backend.stop(id: id, force: false, timeout: bounds.fenceStopTimeout)
                            }
                        }
                        self.logger.info("instance stopped by the fence", metadata: ["id": "\(id)", "backend": "\(instance.backend)"])
                    } catch BackendError.notFound {
                        return
                    } catch {
                        self.calmLog.warning(
                            "the fence could not stop an instance", kind: "fence|\(instance.backend)",
                            metadata: ["id": "\(id)", "error": "\(error)"])
                    }
                }
            }
        }
    }

    /// After the fence lifted: deletes this host's copies of fenced instances it no longer owns (placed elsewhere
    /// or deleted meanwhile); they are never started again.
    private func deleteFencedMovedAway() async {
        let stopped = fenced.withLock { $0 }
        for (id, kind) in stopped {
            let stillMine = registry.read { $0.instances[id].map { $0.value.workerId == identity.hostId && $0.value.isLive } ?? false }
            guard !stillMine else { continue }
            guard let backend = backends[kind] else { continue }
            do {
                try await withDeadline(.seconds(30)) { try await backend.delete(id: id, force: true) }
                logger.info("deleted a fenced copy that runs elsewhere now", metadata: ["id": "\(id)", "backend": "\(kind)"])
            } catch BackendError.notFound {
                // Already gone.
            } catch {
                logger.warning("could not delete a fenced copy", metadata: ["id": "\(id)", "error": "\(error)"])
                continue
            }
            _ = fenced.withLock { $0.removeValue(forKey: id) }
        }
    }

    /// The reason shown for `instance` when the fence stopped it, it should run and it has not run since; forgets
    /// it once it runs, is gone, or should no longer run (a stop asked for meanwhile is the user's, not the fence's).
    func fenceReason(_ instance: Instance, _ observation: Observation) -> String? {
        let id = instance.id
        guard fenced.withLock({ $0[id] }) != nil else { return nil }
        let runs: Bool = if case .present(let o) = observation { o.state == .running || o.state == .paused } else { false }
        let wantsToRun = instance.desired == .running || instance.desired == .paused
        if runs || !wantsToRun || observation == .absent {
            _ = fenced.withLock { $0.removeValue(forKey: id) }
            return nil
        }
        return "stopped by the fence: host \(identity.hostId) was cut off from the store"
    }
}
