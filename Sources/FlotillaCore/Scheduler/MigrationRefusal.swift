/// Why a migration was refused before anything changed (``MigrationDecision``).
public enum MigrationRefusal: Sendable, Equatable {
    /// No worker of that id is known.
    case unknownWorker(String)
    /// The instance already runs on the worker it was asked to move to.
    case sameWorker(String)
    /// The target takes no instances: drained, offline or unhealthy.
    case notSchedulable(workerId: String, reason: String)
    /// The target cannot run this instance (backend, pin, zone, labels or room).
    case doesNotFit(workerId: String, reason: String)
    /// No target was named and no other worker can run it.
    case nowhere(reason: String)

    /// The error an API answers: NOT_FOUND for an unknown worker, INVALID_STATE for the same or an unschedulable
    /// worker, RESOURCE_LIMIT_EXCEEDED when the instance does not fit (the code a move with nowhere to go had).
    public func error(instanceId id: String, from: String) -> FlotillaError {
        switch self {
        case .unknownWorker(let worker):
            return FlotillaError(.notFound, "Worker not found: \(worker)", details: ["workerId": .string(worker)])
        case .sameWorker(let worker):
            return FlotillaError(
                .invalidState, "Instance \(id) already runs on worker \(worker)",
                details: ["id": .string(id), "workerId": .string(worker)])
        case .notSchedulable(let worker, let reason):
            return FlotillaError(
                .invalidState, "Worker \(worker) takes no instances: \(reason)",
                details: ["id": .string(id), "workerId": .string(worker), "reason": .string(reason)])
        case .doesNotFit(let worker, let reason):
            return FlotillaError(
                .resourceLimitExceeded, "Worker \(worker) cannot run instance \(id): \(reason)",
                details: ["id": .string(id), "workerId": .string(worker), "reason": .string(reason)])
        case .nowhere(let reason):
            return FlotillaError(
                .resourceLimitExceeded, "Instance \(id) could not be moved off host \(from): \(reason)",
                details: ["id": .string(id), "hostId": .string(from), "reason": .string(reason)])
        }
    }
}
