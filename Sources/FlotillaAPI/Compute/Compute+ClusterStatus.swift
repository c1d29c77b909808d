extension Compute {
    /// `GET /api/v1/compute/cluster/status`.
    public struct ClusterStatus: Codable, Sendable, Equatable {
        public struct Pair<T: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
            public var used: T
            public var total: T
            public init(used: T, total: T) {
                self.used = used
                self.total = total
            }
        }
        public struct BackendResources: Codable, Sendable, Equatable {
            /// Cores.
            public var cpu: Pair<Double>
            /// Bytes.
            public var memory: Pair<Int64>
            public init(cpu: Pair<Double>, memory: Pair<Int64>) {
                self.cpu = cpu
                self.memory = memory
            }
        }
        public struct Backend: Codable, Sendable, Equatable {
            public var status: String
            public var instances: Int
            public var resources: BackendResources
            public init(status: String, instances: Int, resources: BackendResources) {
                self.status = status
                self.instances = instances
                self.resources = resources
            }
        }
        public var backends: [String: Backend]
        public var totalInstances: Int
        public var health: String
        public init(backends: [String: Backend], totalInstances: Int, health: String) {
            self.backends = backends
            self.totalInstances = totalInstances
            self.health = health
        }
    }
}
