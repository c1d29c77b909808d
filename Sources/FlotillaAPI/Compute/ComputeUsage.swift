import FlotillaCore
import Foundation

extension Compute {
    /// `GET /api/v1/compute/instances/:id/usage`: live figures from the backend.
    public struct Usage: Codable, Sendable, Equatable {
        public struct CPU: Codable, Sendable, Equatable {
            /// Percent of one core (100 = one core busy).
            public var usage: Double
            public var cores: Double
            public init(usage: Double, cores: Double) {
                self.usage = usage
                self.cores = cores
            }
        }
        public struct Memory: Codable, Sendable, Equatable {
            public var used: Int64
            public var limit: Int64
            public var percentage: Double
            public init(used: Int64, limit: Int64, percentage: Double) {
                self.used = used
                self.limit = limit
                self.percentage = percentage
            }
        }
        public struct Storage: Codable, Sendable, Equatable {
            public var used: Int64
            public var total: Int64
            public init(used: Int64, total: Int64) {
                self.used = used
                self.total = total
            }
        }
        public struct Network: Codable, Sendable, Equatable {
            public var rxBytes: Int64
            public var txBytes: Int64
            public init(rxBytes: Int64, txBytes: Int64) {
                self.rxBytes = rxBytes
                self.txBytes = txBytes
            }
        }
        /// Block I/O, where the backend measures it (docker).
        public struct BlockIO: Codable, Sendable, Equatable {
            public var readBytes: Int64
            public var writeBytes: Int64
            public init(readBytes: Int64, writeBytes: Int64) {
                self.readBytes = readBytes
                self.writeBytes = writeBytes
            }
        }
        public var cpu: CPU
        public var memory: Memory
        public var storage: Storage
        public var network: Network
        public var blockIO: BlockIO?
        public var observedAt: Date
        public init(cpu: CPU, memory: Memory, storage: Storage, network: Network, blockIO: BlockIO? = nil, observedAt: Date) {
            self.cpu = cpu
            self.memory = memory
            self.storage = storage
            self.network = network
            self.blockIO = blockIO
            self.observedAt = observedAt
        }
    }

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

    /// `GET /api/v1/compute/backends/:backend/info`.
    public struct BackendInfo: Codable, Sendable, Equatable {
        public struct HealthCheck: Codable, Sendable, Equatable {
            public var status: String
            public var lastCheck: Date
            public var reason: String?
            public init(status: String, lastCheck: Date, reason: String? = nil) {
                self.status = status
                self.lastCheck = lastCheck
                self.reason = reason
            }
        }
        public var type: String
        public var version: String
        public var apiVersion: String
        public var status: String
        public var capabilities: [String]
        public var supportedTypes: [String]
        public var healthCheck: HealthCheck
        public init(
            type: String, version: String, apiVersion: String, status: String, capabilities: [String],
            supportedTypes: [String], healthCheck: HealthCheck
        ) {
            self.type = type
            self.version = version
            self.apiVersion = apiVersion
            self.status = status
            self.capabilities = capabilities
            self.supportedTypes = supportedTypes
            self.healthCheck = healthCheck
        }
    }

    /// Surface A's error body: `{"error":{"code","message","details"}}`.
    public struct ErrorBody: Codable, Sendable, Equatable {
        public struct Detail: Codable, Sendable, Equatable {
            public var code: String
            public var message: String
            public var details: [String: JSONValue]?
            public init(code: String, message: String, details: [String: JSONValue]? = nil) {
                self.code = code
                self.message = message
                self.details = details
            }
        }
        public var error: Detail
        public init(error: Detail) { self.error = error }
    }
}
