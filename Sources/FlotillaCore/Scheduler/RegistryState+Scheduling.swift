public import Foundation

extension RegistryState {
    /// Every known worker as the scheduler sees it: status, health (a heartbeat record younger than `healthWindow`,
    /// or than three of its rewrite intervals in a fleet large enough to pace them: ``HeartbeatPlan``) and the
    /// resources its live instances hold.
    public func schedulableWorkers(now: Date, healthWindow: TimeInterval) -> [SchedulableWorker] {
        Array(lazySchedulableWorkers(now: now, healthWindow: healthWindow))
    }

    /// The same, each made when it is read (for a check that may stop at the first).
    public func lazySchedulableWorkers(now: Date, healthWindow: TimeInterval) -> some Sequence<SchedulableWorker> {
        let window = effectiveHealthWindow(configured: healthWindow)
        return workers.values.lazy.map { versioned in
            let w = versioned.value
            return SchedulableWorker(
                id: w.id, zone: w.zone, labels: w.labels, capabilities: Set(w.capabilities),
                status: status(ofWorker: w.id),
                healthy: hasFreshHeartbeat(w.id, now: now, window: window),
                capacity: w.capacity, allocated: instances.allocation(onWorker: w.id),
                unavailableBackends: unavailableBackends(ofWorker: w.id))
        }
    }

    /// The health window every surface applies to this fleet: the configured one, widened for a fleet large enough
    /// that its heartbeat records are paced (``HeartbeatPlan``).
    public func effectiveHealthWindow(configured: TimeInterval) -> TimeInterval {
        HeartbeatPlan().healthWindow(configured: configured, workers: workers.count)
    }

    /// Whether a worker's heartbeat record is younger than `window` (an effective window, above).
    public func hasFreshHeartbeat(_ id: String, now: Date, window: TimeInterval) -> Bool {
        heartbeats[id].map { now.timeIntervalSince($0.value.at) < window } ?? false
    }

    /// The backends a worker reports down in its heartbeat, with the reasons.
    public func unavailableBackends(ofWorker id: String) -> [BackendKind: String] {
        var result: [BackendKind: String] = [:]
        for (name, reason) in heartbeats[id]?.value.unavailableBackends ?? [:] {
            if let kind = BackendKind(rawValue: name) { result[kind] = reason }
        }
        return result
    }

    /// Backends offered, and up, on at least one worker that is not offline.
    public var availableBackends: Set<BackendKind> {
        var result = Set<BackendKind>()
        for (id, w) in workers where status(ofWorker: id) != .offline {
            let down = unavailableBackends(ofWorker: id)
            result.formUnion(w.value.capabilities.filter { down[$0] == nil })
        }
        return result
    }

    /// The live instance with this id, or nil (deleted instances are gone for every surface).
    public func liveInstance(_ id: String) -> Instance? {
        guard let i = instances[id]?.value, i.isLive else { return nil }
        return i
    }

    /// The live instance with this name, or nil.
    public func liveInstance(named name: String) -> Instance? {
        names[name].flatMap { liveInstance($0) }
    }
}
