extension Global {
    /// The optional body of `POST /api/v2/vms/{id}/migrate`: the worker to move the instance to (the field create's
    /// placement uses). Without it, or with `worker_id` null, the leader's scheduler picks the worker.
    public struct MigrateRequest: Codable, Sendable, Equatable {
        public var workerId: String?
        enum CodingKeys: String, CodingKey {
            case workerId = "worker_id"
        }
        public init(workerId: String? = nil) {
            self.workerId = workerId
        }
    }
}
