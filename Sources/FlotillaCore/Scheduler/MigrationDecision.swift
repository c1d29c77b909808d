/// Whether an instance may leave its worker, and where for (docs/decisions/0006-drain-and-migrate.md). Pure: the
/// migration shell asks before it stops anything, so a refusal changes nothing.
public enum MigrationDecision: Sendable, Equatable {
    /// Another worker can take it: the target, when one was named, else the one the scheduler picks now among the
    /// others. The migration carries it in the record (``Instance/migrateTo``) and the leader places it there.
    case move(to: String)
    case refused(MigrationRefusal)

    /// The decision for moving `instance` off `from`, to `target` when one is named, among `workers` (every known
    /// worker as the scheduler sees it). A target must be known, other than `from`, active and healthy, and pass
    /// every filter the scheduler applies to the instance (backend, pin, zone, labels, room); without a target,
    /// any worker but `from` that passes them will do.
    public static func decide(
        _ instance: Instance, from: String, target: String?, workers: [SchedulableWorker]
    ) -> MigrationDecision {
        let others = workers.filter { $0.id != from }
        var request = PlacementRequest(instance)
        request.target = target
        guard let target else {
            switch Scheduler.decide(request, others) {
            case .placed(let workerId): return .move(to: workerId)
            case .unplaceable(let reason): return .refused(.nowhere(reason: reason))
            }
        }
        guard let worker = workers.first(where: { $0.id == target }) else { return .refused(.unknownWorker(target)) }
        guard target != from else { return .refused(.sameWorker(target)) }
        switch Scheduler.choose(request, [worker]) {
        case .success: return .move(to: target)
        case .failure(let stage):
            switch stage {
            case .target, .active: return .refused(.notSchedulable(workerId: target, reason: notSchedulable(worker)))
            default: return .refused(.doesNotFit(workerId: target, reason: doesNotFit(stage, worker, request)))
            }
        }
    }

    /// Why `worker` takes no instances.
    static func notSchedulable(_ worker: SchedulableWorker) -> String {
        switch worker.status {
        case .offline: return "it is offline"
        case .draining: return "it is draining"
        case .active: return worker.healthy ? "it is not eligible" : "its heartbeat is too old (the host looks dead)"
        }
    }

    /// Why `worker` cannot run the instance, in the words of the filter that refused it.
    static func doesNotFit(_ stage: Scheduler.Stage, _ worker: SchedulableWorker, _ request: PlacementRequest) -> String {
        let c = request.constraints
        let backend = request.backend.rawValue
        switch stage {
        case .target, .active: return notSchedulable(worker)
        case .backend: return "it has no \(backend) backend"
        case .backendUp: return "its \(backend) backend is down"
        case .pinned: return "the instance is pinned to worker \(c.workerId ?? "")"
        case .zone: return "it is not in zone \(c.zone ?? "")"
        case .labels: return "it does not have the labels \(c.workerLabelsText)"
        case .room: return "it has no room for the instance's resources"
        }
    }
}
