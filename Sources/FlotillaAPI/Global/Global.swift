import Foundation

/// Surface D (docs/api/surface-d-global.md) wire types under `/api/v2`: snake_case JSON through explicit `CodingKeys`,
/// bare objects, errors as surface A. Optional fields are always present (`null` when unknown).
public enum Global {}

extension Global {
    /// Where an instance runs.
    public struct HostRef: Codable, Sendable, Equatable {
        public var id: String
        public var address: String?
        public var zone: String?
        public init(id: String, address: String?, zone: String?) {
            self.id = id
            self.address = address
            self.zone = zone
        }
    }

    /// Live usage, measured by the owning host's backend.
    public struct Usage: Codable, Sendable, Equatable {
        public struct CPU: Codable, Sendable, Equatable {
            /// Percent of one core (100 = one core busy).
            public var usagePercent: Double
            public var cores: Double
            enum CodingKeys: String, CodingKey {
                case usagePercent = "usage_percent"
                case cores
            }
            public init(usagePercent: Double, cores: Double) {
                self.usagePercent = usagePercent
                self.cores = cores
            }
        }
        public struct Memory: Codable, Sendable, Equatable {
            public var usedBytes: Int64
            public var limitBytes: Int64
            public var percent: Double
            enum CodingKeys: String, CodingKey {
                case usedBytes = "used_bytes"
                case limitBytes = "limit_bytes"
                case percent
            }
            public init(usedBytes: Int64, limitBytes: Int64, percent: Double) {
                self.usedBytes = usedBytes
                self.limitBytes = limitBytes
                self.percent = percent
            }
        }
        public struct Storage: Codable, Sendable, Equatable {
            public var usedBytes: Int64
            public var totalBytes: Int64
            enum CodingKeys: String, CodingKey {
                case usedBytes = "used_bytes"
                case totalBytes = "total_bytes"
            }
            public init(usedBytes: Int64, totalBytes: Int64) {
                self.usedBytes = usedBytes
                self.totalBytes = totalBytes
            }
        }
        public struct Network: Codable, Sendable, Equatable {
            public var rxBytes: Int64
            public var txBytes: Int64
            enum CodingKeys: String, CodingKey {
                case rxBytes = "rx_bytes"
                case txBytes = "tx_bytes"
            }
            public init(rxBytes: Int64, txBytes: Int64) {
                self.rxBytes = rxBytes
                self.txBytes = txBytes
            }
        }
        public var cpu: CPU
        public var memory: Memory
        public var storage: Storage
        public var network: Network
        public init(cpu: CPU, memory: Memory, storage: Storage, network: Network) {
            self.cpu = cpu
            self.memory = memory
            self.storage = storage
            self.network = network
        }
    }

    /// `GET /api/v2/vm/{id}/status`: the live answer of the host that runs the instance.
    public struct Status: Codable, Sendable, Equatable {
        public var id: String
        public var name: String
        public var kind: String
        public var backend: String
        /// The state the backend reports now (internal vocabulary: `running`, `stopped`, ...).
        public var state: String
        @NullEncoded public var host: HostRef?
        /// The host whose backend produced this answer.
        public var servedBy: String
        /// Whether the host asked routed the request to another host.
        public var routed: Bool
        @NullEncoded public var observedAt: Date?
        @NullEncoded public var usage: Usage?
        /// The revision of the registry record this status belongs to.
        public var revision: Int64

        enum CodingKeys: String, CodingKey {
            case id, name, kind, backend, state, host, routed, usage, revision
            case servedBy = "served_by"
            case observedAt = "observed_at"
        }

        public init(
            id: String, name: String, kind: String, backend: String, state: String, host: HostRef?, servedBy: String,
            routed: Bool, observedAt: Date?, usage: Usage?, revision: Int64
        ) {
            self.id = id
            self.name = name
            self.kind = kind
            self.backend = backend
            self.state = state
            self.host = host
            self.servedBy = servedBy
            self.routed = routed
            self.observedAt = observedAt
            self.usage = usage
            self.revision = revision
        }
    }

    /// 503 `HOST_UNREACHABLE`: surface A's error plus the last registry record, which is not live.
    public struct UnreachableBody: Codable, Sendable, Equatable {
        public struct ErrorInfo: Codable, Sendable, Equatable {
            public var code: String
            public var message: String
            public var details: [String: String]
            public init(code: String, message: String, details: [String: String]) {
                self.code = code
                self.message = message
                self.details = details
            }
        }
        public var error: ErrorInfo
        public var lastKnown: VM
        enum CodingKeys: String, CodingKey {
            case error
            case lastKnown = "last_known"
        }
        public init(error: ErrorInfo, lastKnown: VM) {
            self.error = error
            self.lastKnown = lastKnown
        }
    }
}
