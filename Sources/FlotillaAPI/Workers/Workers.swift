import Foundation

/// Surface B (docs/api/surface-b-workers.md) wire types: workers and cluster figures under `/api/v1/workers` and
/// `/api/v1/cluster`. snake_case JSON through explicit `CodingKeys`, bare objects. Fields are always present;
/// unknown values are `null`.
public enum Workers {}

extension Workers {
    /// One worker.
    public struct Worker: Codable, Sendable, Equatable {
        public var id: String
        public var hostname: String
        public var address: String
        @NullEncoded public var zone: String?
        /// `active`, `draining` or `offline`.
        public var status: String
        public var labels: [String: String]
        public var capabilities: [String]
        public var cpuCores: Double
        public var memoryMB: Int64
        public var diskGB: Int64
        public var usedCpuCores: Double
        public var usedMemoryMB: Int64
        public var usedDiskGB: Int64
        public var cpuUsagePercent: Double
        public var memoryUsagePercent: Double
        public var vmCount: Int
        public var maxVms: Int
        public var startedAt: Date
        /// The last heartbeat; null once the heartbeat lease expired.
        @NullEncoded public var lastSeen: Date?
        /// Time since `started_at`, like `2h30m45s`.
        public var uptime: String
        public var isHealthy: Bool

        public init(
            id: String, hostname: String, address: String, zone: String?, status: String, labels: [String: String],
            capabilities: [String], cpuCores: Double, memoryMB: Int64, diskGB: Int64, usedCpuCores: Double,
            usedMemoryMB: Int64, usedDiskGB: Int64, cpuUsagePercent: Double, memoryUsagePercent: Double, vmCount: Int,
            maxVms: Int, startedAt: Date, lastSeen: Date?, uptime: String, isHealthy: Bool
        ) {
            self.id = id
            self.hostname = hostname
            self.address = address
            self.zone = zone
            self.status = status
            self.labels = labels
            self.capabilities = capabilities
            self.cpuCores = cpuCores
            self.memoryMB = memoryMB
            self.diskGB = diskGB
            self.usedCpuCores = usedCpuCores
            self.usedMemoryMB = usedMemoryMB
            self.usedDiskGB = usedDiskGB
            self.cpuUsagePercent = cpuUsagePercent
            self.memoryUsagePercent = memoryUsagePercent
            self.vmCount = vmCount
            self.maxVms = maxVms
            self.startedAt = startedAt
            self.lastSeen = lastSeen
            self.uptime = uptime
            self.isHealthy = isHealthy
        }

        enum CodingKeys: String, CodingKey {
            case id, hostname, address, zone, status, labels, capabilities
            case cpuCores = "cpu_cores"
            case memoryMB = "memory_mb"
            case diskGB = "disk_gb"
            case usedCpuCores = "used_cpu_cores"
            case usedMemoryMB = "used_memory_mb"
            case usedDiskGB = "used_disk_gb"
            case cpuUsagePercent = "cpu_usage_percent"
            case memoryUsagePercent = "memory_usage_percent"
            case vmCount = "vm_count"
            case maxVms = "max_vms"
            case startedAt = "started_at"
            case lastSeen = "last_seen"
            case uptime
            case isHealthy = "is_healthy"
        }
    }

    /// `GET /workers`.
    public struct WorkerList: Codable, Sendable, Equatable {
        public var workers: [Worker]
        public var total: Int
        public init(workers: [Worker], total: Int) {
            self.workers = workers
            self.total = total
        }
    }

    /// One instance as the worker API lists it.
    public struct VM: Codable, Sendable, Equatable {
        public var id: String
        public var name: String
        /// The lowercase status (docs/api/surface-a-compute.md, the lifecycle).
        public var status: String
        public var vcpus: Double
        public var memoryMB: Int64

        public init(id: String, name: String, status: String, vcpus: Double, memoryMB: Int64) {
            self.id = id
            self.name = name
            self.status = status
            self.vcpus = vcpus
            self.memoryMB = memoryMB
        }

        enum CodingKeys: String, CodingKey {
            case id, name, status, vcpus
            case memoryMB = "memory_mb"
        }
    }

    /// `GET /workers/{id}/vms`.
    public struct WorkerVMs: Codable, Sendable, Equatable {
        public var workerId: String
        public var vms: [VM]
        public var total: Int
        public init(workerId: String, vms: [VM], total: Int) {
            self.workerId = workerId
            self.vms = vms
            self.total = total
        }
        enum CodingKeys: String, CodingKey {
            case workerId = "worker_id"
            case vms, total
        }
    }

    /// The optional body of `POST /workers/{id}/drain`.
    public struct DrainRequest: Codable, Sendable, Equatable {
        public var migrate: Bool?
        public var deadlineSeconds: Int?
        public init(migrate: Bool? = nil, deadlineSeconds: Int? = nil) {
            self.migrate = migrate
            self.deadlineSeconds = deadlineSeconds
        }
        enum CodingKeys: String, CodingKey {
            case migrate
            case deadlineSeconds = "deadline_seconds"
        }
    }

    /// The answer of drain and activate. `migrated`, `not_migrated` and `moves` are present only after a drain with
    /// `migrate`.
    public struct StatusChange: Codable, Sendable, Equatable {
        public var workerId: String
        public var status: String
        public var message: String
        public var migrated: [String]?
        public var notMigrated: [String]?
        /// How each instance of the drain moved (live or cold) or why it did not, by instance id
        /// (docs/decisions/0027-live-migration.md).
        public var moves: [Move]?
        public init(
            workerId: String, status: String, message: String, migrated: [String]? = nil, notMigrated: [String]? = nil,
            moves: [Move]? = nil
        ) {
            self.workerId = workerId
            self.status = status
            self.message = message
            self.migrated = migrated
            self.notMigrated = notMigrated
            self.moves = moves
        }
        enum CodingKeys: String, CodingKey {
            case workerId = "worker_id"
            case status, message, migrated, moves
            case notMigrated = "not_migrated"
        }
    }

    /// `GET /cluster/stats`.
    public struct ClusterStats: Codable, Sendable, Equatable {
        public var totalWorkers: Int
        public var activeWorkers: Int
        public var drainingWorkers: Int
        public var offlineWorkers: Int
        public var totalCpuCores: Double
        public var totalMemoryMB: Int64
        public var usedCpuCores: Double
        public var usedMemoryMB: Int64
        public var availableCpuCores: Double
        public var availableMemoryMB: Int64
        public var clusterCpuUsagePercent: Double
        public var clusterMemoryUsagePercent: Double
        public var totalVms: Int
        public var maxVms: Int
        public var availableVmSlots: Int
        public var zones: [String: Int]

        public init(
            totalWorkers: Int, activeWorkers: Int, drainingWorkers: Int, offlineWorkers: Int, totalCpuCores: Double,
            totalMemoryMB: Int64, usedCpuCores: Double, usedMemoryMB: Int64, availableCpuCores: Double,
            availableMemoryMB: Int64, clusterCpuUsagePercent: Double, clusterMemoryUsagePercent: Double, totalVms: Int,
            maxVms: Int, availableVmSlots: Int, zones: [String: Int]
        ) {
            self.totalWorkers = totalWorkers
            self.activeWorkers = activeWorkers
            self.drainingWorkers = drainingWorkers
            self.offlineWorkers = offlineWorkers
            self.totalCpuCores = totalCpuCores
            self.totalMemoryMB = totalMemoryMB
            self.usedCpuCores = usedCpuCores
            self.usedMemoryMB = usedMemoryMB
            self.availableCpuCores = availableCpuCores
            self.availableMemoryMB = availableMemoryMB
            self.clusterCpuUsagePercent = clusterCpuUsagePercent
            self.clusterMemoryUsagePercent = clusterMemoryUsagePercent
            self.totalVms = totalVms
            self.maxVms = maxVms
            self.availableVmSlots = availableVmSlots
            self.zones = zones
        }

        enum CodingKeys: String, CodingKey {
            case totalWorkers = "total_workers"
            case activeWorkers = "active_workers"
            case drainingWorkers = "draining_workers"
            case offlineWorkers = "offline_workers"
            case totalCpuCores = "total_cpu_cores"
            case totalMemoryMB = "total_memory_mb"
            case usedCpuCores = "used_cpu_cores"
            case usedMemoryMB = "used_memory_mb"
            case availableCpuCores = "available_cpu_cores"
            case availableMemoryMB = "available_memory_mb"
            case clusterCpuUsagePercent = "cluster_cpu_usage_percent"
            case clusterMemoryUsagePercent = "cluster_memory_usage_percent"
            case totalVms = "total_vms"
            case maxVms = "max_vms"
            case availableVmSlots = "available_vm_slots"
            case zones
        }
    }

    /// One worker's share of `GET /cluster/distribution`.
    public struct WorkerShare: Codable, Sendable, Equatable {
        public var workerId: String
        public var hostname: String
        @NullEncoded public var zone: String?
        public var vmCount: Int
        public var vms: [VM]
        public init(workerId: String, hostname: String, zone: String?, vmCount: Int, vms: [VM]) {
            self.workerId = workerId
            self.hostname = hostname
            self.zone = zone
            self.vmCount = vmCount
            self.vms = vms
        }
        enum CodingKeys: String, CodingKey {
            case workerId = "worker_id"
            case hostname, zone
            case vmCount = "vm_count"
            case vms
        }
    }

    /// `GET /cluster/distribution`.
    public struct Distribution: Codable, Sendable, Equatable {
        public var distribution: [WorkerShare]
        public var totalWorkers: Int
        public init(distribution: [WorkerShare], totalWorkers: Int) {
            self.distribution = distribution
            self.totalWorkers = totalWorkers
        }
        enum CodingKeys: String, CodingKey {
            case distribution
            case totalWorkers = "total_workers"
        }
    }

    /// The error body of this surface: the HTTP status text, a message and the status number.
    public struct ErrorBody: Codable, Sendable, Equatable {
        public var error: String
        public var message: String
        public var code: Int
        public init(error: String, message: String, code: Int) {
            self.error = error
            self.message = message
            self.code = code
        }
    }
}
