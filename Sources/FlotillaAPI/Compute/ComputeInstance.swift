import Foundation

/// Surface A (docs/api/surface-a-compute.md) wire types. camelCase JSON, bare objects.
public enum Compute {}

extension Compute {
    public struct CPU: Codable, Sendable, Equatable {
        public var cores: Double?
        public init(cores: Double?) { self.cores = cores }
    }

    public struct Memory: Codable, Sendable, Equatable {
        /// Bytes.
        public var limit: Int64?
        public init(limit: Int64?) { self.limit = limit }
    }

    public struct Storage: Codable, Sendable, Equatable {
        /// Bytes.
        public var totalSpace: Int64?
        public init(totalSpace: Int64?) { self.totalSpace = totalSpace }
    }

    public struct Resources: Codable, Sendable, Equatable {
        public var cpu: CPU?
        public var memory: Memory?
        public var storage: Storage?
        public init(cpu: CPU? = nil, memory: Memory? = nil, storage: Storage? = nil) {
            self.cpu = cpu
            self.memory = memory
            self.storage = storage
        }
    }

    public struct CloudInit: Codable, Sendable, Equatable {
        public var userData: String?
        public var metaData: String?
        public init(userData: String? = nil, metaData: String? = nil) {
            self.userData = userData
            self.metaData = metaData
        }
    }

    /// An interface on a Flotilla network (docs/decisions/0025-vm-networks.md, a Flotilla extension of surface A):
    /// asked for with `network` and an optional fixed `address` or `mac`; an instance shows the address and MAC
    /// it was given.
    public struct NetworkInterface: Codable, Sendable, Equatable {
        public var network: String
        /// IPv4, dotted quad.
        public var address: String?
        public var mac: String?
        /// `tap` (default) or `macvtap` (kvm).
        public var mode: String?
        /// A bridge to attach to instead of the network's own (kvm).
        public var bridge: String?
        public init(network: String, address: String? = nil, mac: String? = nil, mode: String? = nil, bridge: String? = nil) {
            self.network = network
            self.address = address
            self.mac = mac
            self.mode = mode
            self.bridge = bridge
        }
    }

    /// An additional disk of a VM (docs/decisions/0026-vm-disks.md): a copy of a catalog image, or empty.
    public struct Disk: Codable, Sendable, Equatable {
        public var id: String
        /// A catalog image holding a disk.
        public var image: String?
        /// Bytes: the size of an empty disk, or what to grow the image's copy to.
        public var sizeBytes: Int64?
        public var readOnly: Bool?
        public init(id: String, image: String? = nil, sizeBytes: Int64? = nil, readOnly: Bool? = nil) {
            self.id = id
            self.image = image
            self.sizeBytes = sizeBytes
            self.readOnly = readOnly
        }
    }

    /// Surface A's backend configuration (KVM and Docker fields together), with Flotilla's networks and disks
    /// (docs/api/surface-a-compute.md).
    public struct Config: Codable, Sendable, Equatable {
        public var image: String?
        public var command: [String]?
        public var env: [String]?
        public var volumes: [String]?
        public var ports: [String]?
        public var networkMode: String?
        public var restartPolicy: String?
        public var diskFormat: String?
        public var networkType: String?
        public var networkSource: String?
        public var cloudInit: CloudInit?
        /// Interfaces on Flotilla networks (kvm and docker).
        public var networks: [NetworkInterface]?
        /// Additional disks, in order after the root disk (kvm).
        public var disks: [Disk]?
        /// Kernel command line added after Flotilla's own (kvm).
        public var kernelArguments: String?
        /// A catalog image whose initrd replaces the one of `image` (kvm).
        public var initrdImage: String?
        /// A catalog image whose disk is the root disk (kvm).
        public var rootImage: String?

        public init(
            image: String? = nil, command: [String]? = nil, env: [String]? = nil, volumes: [String]? = nil,
            ports: [String]? = nil, networkMode: String? = nil, restartPolicy: String? = nil,
            diskFormat: String? = nil, networkType: String? = nil, networkSource: String? = nil,
            cloudInit: CloudInit? = nil, networks: [NetworkInterface]? = nil, disks: [Disk]? = nil,
            kernelArguments: String? = nil, initrdImage: String? = nil, rootImage: String? = nil
        ) {
            self.networks = networks
            self.disks = disks
            self.kernelArguments = kernelArguments
            self.initrdImage = initrdImage
            self.rootImage = rootImage
            self.image = image
            self.command = command
            self.env = env
            self.volumes = volumes
            self.ports = ports
            self.networkMode = networkMode
            self.restartPolicy = restartPolicy
            self.diskFormat = diskFormat
            self.networkType = networkType
            self.networkSource = networkSource
            self.cloudInit = cloudInit
        }
    }

    public struct Metadata: Codable, Sendable, Equatable {
        public var labels: [String: String]?
        /// Free-form string metadata.
        public var annotations: [String: String]?
        public init(labels: [String: String]? = nil, annotations: [String: String]? = nil) {
            self.labels = labels
            self.annotations = annotations
        }
    }

    /// Where to place an instance (a Flotilla extension of surface A, docs/api/surface-a-compute.md).
    public struct Placement: Codable, Sendable, Equatable {
        public var zone: String?
        public var workerLabels: [String: String]?
        public var workerId: String?
        /// `spread` (default) or `binpack`.
        public var strategy: String?
        /// `reschedule` (default): stopped by its host's fence and placed elsewhere when its host is cut off;
        /// `keep`: keeps running on its host through a control-plane outage (docs/decisions/0016-self-fencing.md).
        public var onHostLost: String?
        public init(
            zone: String? = nil, workerLabels: [String: String]? = nil, workerId: String? = nil, strategy: String? = nil,
            onHostLost: String? = nil
        ) {
            self.onHostLost = onHostLost
            self.zone = zone
            self.workerLabels = workerLabels
            self.workerId = workerId
            self.strategy = strategy
        }
    }

    /// `POST /api/v1/compute/instances`.
    public struct CreateRequest: Codable, Sendable, Equatable {
        public var name: String?
        public var type: String?
        public var backend: String?
        public var config: Config?
        public var resources: Resources?
        public var metadata: Metadata?
        public var placement: Placement?

        public init(
            name: String?, type: String? = nil, backend: String?, config: Config?, resources: Resources? = nil,
            metadata: Metadata? = nil, placement: Placement? = nil
        ) {
            self.name = name
            self.type = type
            self.backend = backend
            self.config = config
            self.resources = resources
            self.metadata = metadata
            self.placement = placement
        }
    }

    /// `PUT /api/v1/compute/instances/:id`.
    public struct UpdateRequest: Codable, Sendable, Equatable {
        public var resources: Resources?
        public var metadata: Metadata?
        public init(resources: Resources? = nil, metadata: Metadata? = nil) {
            self.resources = resources
            self.metadata = metadata
        }
    }

    /// Optional body of `PUT .../stop`.
    public struct StopRequest: Codable, Sendable, Equatable {
        public var force: Bool?
        /// Seconds.
        public var timeout: Int?
        public init(force: Bool? = nil, timeout: Int? = nil) {
            self.force = force
            self.timeout = timeout
        }
    }

    /// Optional body of `PUT .../restart`.
    public struct RestartRequest: Codable, Sendable, Equatable {
        public var hard: Bool?
        public var timeout: Int?
        public init(hard: Bool? = nil, timeout: Int? = nil) {
            self.hard = hard
            self.timeout = timeout
        }
    }

    /// One compute instance as surface A shows it.
    public struct Instance: Codable, Sendable, Equatable {
        public var id: String
        public var name: String
        public var uuid: String
        /// `vm` or `container`.
        public var type: String
        public var backend: String
        /// Surface A's vocabulary (docs/api/surface-a-compute.md, the lifecycle): created, starting, running, stopping,
        /// stopped, paused, restarting, error, deleting.
        public var state: String
        /// `healthy`, `unhealthy` or `unknown`.
        public var status: String
        public var stateDescription: String?
        /// The state the instance is being driven to.
        public var desiredState: String
        public var workerId: String?
        public var config: Config
        public var resources: Resources
        public var metadata: Metadata
        public var placement: Placement?
        public var createdAt: Date
        public var updatedAt: Date
        public var launchedAt: Date?
        /// The restart policy in force: `never`, `always` or `on-failure:N`.
        public var restartPolicy: String?
        /// Where the instance stands with its restart policy, once the policy acted.
        public var restarts: Restarts?
        /// Only in the reply to an update: `live` when applied to the running instance, `nextStart` otherwise.
        public var applied: String?

        public init(
            id: String, name: String, type: String, backend: String, state: String, status: String,
            stateDescription: String?, desiredState: String, workerId: String?, config: Config,
            resources: Resources, metadata: Metadata, placement: Placement?, createdAt: Date, updatedAt: Date,
            launchedAt: Date?, restartPolicy: String? = nil, restarts: Restarts? = nil, applied: String? = nil
        ) {
            self.restartPolicy = restartPolicy
            self.restarts = restarts
            self.id = id
            self.name = name
            self.uuid = id
            self.type = type
            self.backend = backend
            self.state = state
            self.status = status
            self.stateDescription = stateDescription
            self.desiredState = desiredState
            self.workerId = workerId
            self.config = config
            self.resources = resources
            self.metadata = metadata
            self.placement = placement
            self.createdAt = createdAt
            self.updatedAt = updatedAt
            self.launchedAt = launchedAt
            self.applied = applied
        }
    }

    /// An instance's restart policy at work: restarts made in a row, when the next is due, whether it gave up.
    public struct Restarts: Codable, Sendable, Equatable {
        public var attempts: Int
        public var nextAttemptAt: Date?
        public var gaveUp: Bool
        public init(attempts: Int, nextAttemptAt: Date?, gaveUp: Bool) {
            self.attempts = attempts
            self.nextAttemptAt = nextAttemptAt
            self.gaveUp = gaveUp
        }
    }

    /// `GET /api/v1/compute/instances`.
    public struct InstanceList: Codable, Sendable, Equatable {
        public var instances: [Instance]
        public var total: Int
        public var page: Int
        public var pageSize: Int
        public init(instances: [Instance], total: Int, page: Int, pageSize: Int) {
            self.instances = instances
            self.total = total
            self.page = page
            self.pageSize = pageSize
        }
    }
}
