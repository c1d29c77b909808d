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

}
