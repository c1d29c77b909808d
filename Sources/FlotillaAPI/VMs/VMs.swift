import FlotillaCore
import Foundation

/// Surface C (docs/api/surface-c-vms.md) wire types: the VM, flavor and image API under `/api/v1/vms`,
/// `/api/v1/flavors` and `/api/v1/images`. snake_case JSON through explicit `CodingKeys` (the coders are shared with
/// surface A, which is camelCase). Fields its page lists are always present: unknown values are `null`.
public enum VMs {}

extension VMs {
    /// One VM (docs/api/surface-c-vms.md, Shapes), plus `id`, `status`, `worker_id` and `backend` for worker-API
    /// clients.
    public struct VM: Codable, Sendable, Equatable {
        public var uuid: String
        public var name: String
        /// `BUILDING`, `ACTIVE`, `SHUTOFF`, `PAUSED`, `REBOOT`, `HARD_REBOOT`, `ERROR` or `DELETED`.
        public var state: String
        @NullEncoded public var stateDescription: String?
        @NullEncoded public var flavorId: String?
        public var imageId: String
        public var vcpus: Int
        public var memoryMB: Int64
        public var diskGB: Int64
        @NullEncoded public var ipAddress: String?
        @NullEncoded public var floatingIp: String?
        @NullEncoded public var description: String?
        @NullEncoded public var keyName: String?
        /// Always null: Flotilla runs no OpenStack.
        @NullEncoded public var openstackId: String?
        public var createdAt: Date
        public var updatedAt: Date
        @NullEncoded public var launchedAt: Date?
        @NullEncoded public var terminatedAt: Date?
        public var isRunning: Bool
        public var isStopped: Bool
        public var isTransitioning: Bool
        /// The same as `uuid`.
        public var id: String
        /// The lowercase status (docs/api/surface-a-compute.md, the lifecycle): pending, running, stopped, paused,
        /// restarting, error, deleted.
        public var status: String
        @NullEncoded public var workerId: String?
        public var backend: String

        public init(
            uuid: String, name: String, state: String, stateDescription: String?, flavorId: String?, imageId: String,
            vcpus: Int, memoryMB: Int64, diskGB: Int64, ipAddress: String?, floatingIp: String?, description: String?,
            keyName: String?, createdAt: Date, updatedAt: Date, launchedAt: Date?, terminatedAt: Date?,
            isRunning: Bool, isStopped: Bool, isTransitioning: Bool, status: String, workerId: String?, backend: String
        ) {
            self.uuid = uuid
            self.name = name
            self.state = state
            self.stateDescription = stateDescription
            self.flavorId = flavorId
            self.imageId = imageId
            self.vcpus = vcpus
            self.memoryMB = memoryMB
            self.diskGB = diskGB
            self.ipAddress = ipAddress
            self.floatingIp = floatingIp
            self.description = description
            self.keyName = keyName
            self.openstackId = nil
            self.createdAt = createdAt
            self.updatedAt = updatedAt
            self.launchedAt = launchedAt
            self.terminatedAt = terminatedAt
            self.isRunning = isRunning
            self.isStopped = isStopped
            self.isTransitioning = isTransitioning
            self.id = uuid
            self.status = status
            self.workerId = workerId
            self.backend = backend
        }

        enum CodingKeys: String, CodingKey {
            case uuid, name, state
            case stateDescription = "state_description"
            case flavorId = "flavor_id"
            case imageId = "image_id"
            case vcpus
            case memoryMB = "memory_mb"
            case diskGB = "disk_gb"
            case ipAddress = "ip_address"
            case floatingIp = "floating_ip"
            case description
            case keyName = "key_name"
            case openstackId = "openstack_id"
            case createdAt = "created_at"
            case updatedAt = "updated_at"
            case launchedAt = "launched_at"
            case terminatedAt = "terminated_at"
            case isRunning = "is_running"
            case isStopped = "is_stopped"
            case isTransitioning = "is_transitioning"
            case id, status
            case workerId = "worker_id"
            case backend
        }
    }

    /// `GET /api/v1/vms`: a page of VMs, newest first. `vms` repeats `items` for worker-API clients.
    public struct VMList: Codable, Sendable, Equatable {
        public var items: [VM]
        public var vms: [VM]
        public var total: Int
        public var page: Int
        public var pageSize: Int
        public var pages: Int

        public init(items: [VM], total: Int, page: Int, pageSize: Int, pages: Int) {
            self.items = items
            self.vms = items
            self.total = total
            self.page = page
            self.pageSize = pageSize
            self.pages = pages
        }

        enum CodingKeys: String, CodingKey {
            case items, vms, total, page
            case pageSize = "page_size"
            case pages
        }
    }

    /// `POST /api/v1/vms`. The server validates the raw JSON itself (to name every bad field); clients encode
    /// this.
    public struct CreateRequest: Codable, Sendable, Equatable {
        public var name: String
        public var flavorId: String
        public var imageId: String
        public var description: String?
        public var keyName: String?
        public var userData: String?
        /// A Flotilla network gives the VM an interface on it; any other value is only kept.
        public var networkId: String?
        /// A fixed address on the Flotilla network `networkId` names (allocated when left out).
        public var ipAddress: String?
        public var securityGroups: [String]?
        public var availabilityZone: String?
        /// Free-form strings; `backend` chooses the backend (`kvm`, `sim`, ...).
        public var metadata: [String: String]?

        public init(
            name: String, flavorId: String, imageId: String, description: String? = nil, keyName: String? = nil,
            userData: String? = nil, networkId: String? = nil, ipAddress: String? = nil, securityGroups: [String]? = nil,
            availabilityZone: String? = nil, metadata: [String: String]? = nil
        ) {
            self.ipAddress = ipAddress
            self.name = name
            self.flavorId = flavorId
            self.imageId = imageId
            self.description = description
            self.keyName = keyName
            self.userData = userData
            self.networkId = networkId
            self.securityGroups = securityGroups
            self.availabilityZone = availabilityZone
            self.metadata = metadata
        }

        /// The body's keys: the server reads the raw JSON by these.
        public enum CodingKeys: String, CodingKey {
            case name
            case flavorId = "flavor_id"
            case imageId = "image_id"
            case description
            case keyName = "key_name"
            case userData = "user_data"
            case networkId = "network_id"
            case ipAddress = "ip_address"
            case securityGroups = "security_groups"
            case availabilityZone = "availability_zone"
            case metadata
        }
    }

    /// `PATCH /api/v1/vms/{uuid}`.
    public struct UpdateRequest: Codable, Sendable, Equatable {
        public var name: String?
        public var description: String?
        public init(name: String? = nil, description: String? = nil) {
            self.name = name
            self.description = description
        }

        /// The body's keys: the server reads the raw JSON by these.
        public enum CodingKeys: String, CodingKey { case name, description }
    }

    /// `POST /api/v1/vms/{uuid}/reboot`.
    public struct RebootRequest: Codable, Sendable, Equatable {
        /// `SOFT` (default) or `HARD`.
        public var rebootType: String?
        public init(rebootType: String? = nil) { self.rebootType = rebootType }
        /// The body's keys: the server reads the raw JSON by these.
        public enum CodingKeys: String, CodingKey { case rebootType = "reboot_type" }
    }

    /// The reply of a lifecycle action.
    public struct ActionResult: Codable, Sendable, Equatable {
        public var vmUUID: String
        /// `start`, `stop`, `reboot_soft`, `reboot_hard` or `delete`.
        public var action: String
        /// `success` once the action completed; `in_progress` when the wait ran out first (HTTP 202).
        public var status: String
        public var message: String
        public var previousState: String
        public var currentState: String
        public var timestamp: Date

        public init(
            vmUUID: String, action: String, status: String, message: String, previousState: String,
            currentState: String, timestamp: Date
        ) {
            self.vmUUID = vmUUID
            self.action = action
            self.status = status
            self.message = message
            self.previousState = previousState
            self.currentState = currentState
            self.timestamp = timestamp
        }

        enum CodingKeys: String, CodingKey {
            case vmUUID = "vm_uuid"
            case action, status, message
            case previousState = "previous_state"
            case currentState = "current_state"
            case timestamp
        }
    }
}
