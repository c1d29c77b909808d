extension Global {
    /// The optional body of `POST /api/v2/vms/{id}/migrate` (docs/decisions/0027-live-migration.md): the worker to
    /// move the instance to (`target`, or `worker_id`, the field create's placement uses; both must agree when both
    /// are given), and whether the guest should keep running while it moves (`live`; kvm only, docker moves cold and
    /// the answer's `migration` says why). Without a worker, the leader's scheduler picks one.
    public struct MigrateRequest: Codable, Sendable, Equatable {
        public var workerId: String?
        public var target: String?
        public var live: Bool?
        enum CodingKeys: String, CodingKey {
            case workerId = "worker_id"
            case target
            case live
        }
        public init(workerId: String? = nil, target: String? = nil, live: Bool? = nil) {
            self.workerId = workerId
            self.target = target
            self.live = live
        }
    }
}
