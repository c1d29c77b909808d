import Foundation

extension Global {
    /// `GET /api/v2/vms/{id}`: the registry record of one instance.
    public struct VM: Codable, Sendable, Equatable {
        public struct Resources: Codable, Sendable, Equatable {
            public var cpuCores: Double
            public var memoryMB: Int64
            public var storageGB: Int64
            enum CodingKeys: String, CodingKey {
                case cpuCores = "cpu_cores"
                case memoryMB = "memory_mb"
                case storageGB = "storage_gb"
            }
            public init(cpuCores: Double, memoryMB: Int64, storageGB: Int64) {
                self.cpuCores = cpuCores
                self.memoryMB = memoryMB
                self.storageGB = storageGB
            }
        }
        public struct Placement: Codable, Sendable, Equatable {
            public var zone: String?
            /// Labels the worker must carry.
            public var labels: [String: String]?
            public var workerId: String?
            /// `spread` or `binpack`.
            public var strategy: String?
            enum CodingKeys: String, CodingKey {
                case zone, labels, strategy
                case workerId = "worker_id"
            }
            public init(zone: String? = nil, labels: [String: String]? = nil, workerId: String? = nil, strategy: String? = nil) {
                self.zone = zone
                self.labels = labels
                self.workerId = workerId
                self.strategy = strategy
            }
        }
        /// An interface on a Flotilla network (docs/decisions/0025-vm-networks.md): the same wire shape as surface A's
        /// (its field names need no snake_case).
        public typealias NetworkInterface = Compute.NetworkInterface
        /// An additional disk of a VM (docs/decisions/0026-vm-disks.md): a copy of a catalog image, or empty.
        public struct Disk: Codable, Sendable, Equatable {
            public var id: String
            /// A catalog image holding a disk.
            public var image: String?
            /// Bytes: the size of an empty disk, or what to grow the image's copy to.
            public var sizeBytes: Int64?
            public var readOnly: Bool?
            enum CodingKeys: String, CodingKey {
                case id, image
                case sizeBytes = "size_bytes"
                case readOnly = "read_only"
            }
            public init(id: String, image: String? = nil, sizeBytes: Int64? = nil, readOnly: Bool? = nil) {
                self.id = id
                self.image = image
                self.sizeBytes = sizeBytes
                self.readOnly = readOnly
            }
        }
        public struct Spec: Codable, Sendable, Equatable {
            public var image: String
            public var resources: Resources
            public var labels: [String: String]
            public var metadata: [String: String]
            public var placement: Placement
            /// The restart policy in force: `never`, `always` or `on-failure:N`.
            public var restartPolicy: String?
            /// Interfaces on Flotilla networks, with their addresses and MACs.
            public var networks: [NetworkInterface]?
            /// Additional disks (kvm).
            public var disks: [Disk]?
            /// Kernel command line added after Flotilla's own (kvm).
            public var kernelArguments: String?
            /// A catalog image whose initrd replaces the image's (kvm).
            public var initrdImage: String?
            /// A catalog image whose disk is the root disk (kvm).
            public var rootImage: String?
            enum CodingKeys: String, CodingKey {
                case image, resources, labels, metadata, placement, networks, disks
                case restartPolicy = "restart_policy"
                case kernelArguments = "kernel_arguments"
                case initrdImage = "initrd_image"
                case rootImage = "root_image"
            }
            public init(
                image: String, resources: Resources, labels: [String: String], metadata: [String: String], placement: Placement,
                restartPolicy: String? = nil, networks: [NetworkInterface]? = nil, disks: [Disk]? = nil,
                kernelArguments: String? = nil, initrdImage: String? = nil, rootImage: String? = nil
            ) {
                self.networks = networks
                self.disks = disks
                self.kernelArguments = kernelArguments
                self.initrdImage = initrdImage
                self.rootImage = rootImage
                self.restartPolicy = restartPolicy
                self.image = image
                self.resources = resources
                self.labels = labels
                self.metadata = metadata
                self.placement = placement
            }
        }
        public struct Observed: Codable, Sendable, Equatable {
            /// The lifecycle state (internal vocabulary).
            public var state: String
            public var description: String?
            public var launchedAt: Date?
            public var terminatedAt: Date?
            /// Restarts the restart policy made in a row (0 when it never acted).
            public var restartAttempts: Int?
            /// When the policy's next restart is due.
            public var nextRestartAt: Date?
            enum CodingKeys: String, CodingKey {
                case state, description
                case launchedAt = "launched_at"
                case terminatedAt = "terminated_at"
                case restartAttempts = "restart_attempts"
                case nextRestartAt = "next_restart_at"
            }
            public init(
                state: String, description: String?, launchedAt: Date?, terminatedAt: Date?, restartAttempts: Int? = nil,
                nextRestartAt: Date? = nil
            ) {
                self.restartAttempts = restartAttempts
                self.nextRestartAt = nextRestartAt
                self.state = state
                self.description = description
                self.launchedAt = launchedAt
                self.terminatedAt = terminatedAt
            }
        }
        public struct Revisions: Codable, Sendable, Equatable {
            /// The store revision that created the record.
            public var created: Int64
            /// The store revision of its last change.
            public var modified: Int64
            public init(created: Int64, modified: Int64) {
                self.created = created
                self.modified = modified
            }
        }
        public var id: String
        public var name: String
        public var kind: String
        public var backend: String
        public var spec: Spec
        /// What the API asked for: `running`, `stopped`, `paused` or `deleted`.
        public var desired: String
        public var observed: Observed
        public var host: HostRef?
        public var revisions: Revisions
        public var createdAt: Date
        public var updatedAt: Date
        /// The last migration (live or cold) and how it went; absent when the instance never moved.
        public var migration: Migration?
        enum CodingKeys: String, CodingKey {
            case id, name, kind, backend, spec, desired, observed, host, revisions, migration
            case createdAt = "created_at"
            case updatedAt = "updated_at"
        }
        public init(
            id: String, name: String, kind: String, backend: String, spec: Spec, desired: String, observed: Observed,
            host: HostRef?, revisions: Revisions, createdAt: Date, updatedAt: Date, migration: Migration? = nil
        ) {
            self.migration = migration
            self.id = id
            self.name = name
            self.kind = kind
            self.backend = backend
            self.spec = spec
            self.desired = desired
            self.observed = observed
            self.host = host
            self.revisions = revisions
            self.createdAt = createdAt
            self.updatedAt = updatedAt
        }
    }

    /// `GET /api/v2/vms`: one page, oldest first.
    public struct VMList: Codable, Sendable, Equatable {
        public var items: [VM]
        /// Pass as `cursor` for the next page; null on the last page.
        @NullEncoded public var nextCursor: String?
        /// The registry revision the page was read at.
        public var revision: Int64
        enum CodingKeys: String, CodingKey {
            case items, revision
            case nextCursor = "next_cursor"
        }
        public init(items: [VM], nextCursor: String?, revision: Int64) {
            self.items = items
            self.nextCursor = nextCursor
            self.revision = revision
        }
    }

    /// `POST /api/v2/vms`.
    public struct CreateRequest: Codable, Sendable, Equatable {
        public struct Resources: Codable, Sendable, Equatable {
            public var cpuCores: Double?
            public var memoryMB: Int64?
            public var storageGB: Int64?
            enum CodingKeys: String, CodingKey {
                case cpuCores = "cpu_cores"
                case memoryMB = "memory_mb"
                case storageGB = "storage_gb"
            }
            public init(cpuCores: Double? = nil, memoryMB: Int64? = nil, storageGB: Int64? = nil) {
                self.cpuCores = cpuCores
                self.memoryMB = memoryMB
                self.storageGB = storageGB
            }
        }
        public var name: String
        public var backend: String
        public var kind: String?
        public var image: String
        /// The command to run (containers).
        public var command: [String]?
        public var resources: Resources?
        public var labels: [String: String]?
        public var metadata: [String: String]?
        public var placement: VM.Placement?
        /// `no`/`never`, `always`, `unless-stopped`, `on-failure` or `on-failure:N`; default `always`.
        public var restartPolicy: String?
        /// Interfaces on Flotilla networks (`address` and `mac` optional: allocated when left out).
        public var networks: [VM.NetworkInterface]?
        /// Additional disks (kvm).
        public var disks: [VM.Disk]?
        /// Kernel command line added after Flotilla's own (kvm).
        public var kernelArguments: String?
        /// A catalog image whose initrd replaces the image's (kvm).
        public var initrdImage: String?
        /// A catalog image whose disk is the root disk (kvm).
        public var rootImage: String?
        enum CodingKeys: String, CodingKey {
            case name, backend, kind, image, command, resources, labels, metadata, placement, networks, disks
            case restartPolicy = "restart_policy"
            case kernelArguments = "kernel_arguments"
            case initrdImage = "initrd_image"
            case rootImage = "root_image"
        }
        public init(
            name: String, backend: String, kind: String? = nil, image: String, command: [String]? = nil, resources: Resources? = nil,
            labels: [String: String]? = nil, metadata: [String: String]? = nil, placement: VM.Placement? = nil,
            restartPolicy: String? = nil, networks: [VM.NetworkInterface]? = nil, disks: [VM.Disk]? = nil,
            kernelArguments: String? = nil, initrdImage: String? = nil, rootImage: String? = nil
        ) {
            self.networks = networks
            self.disks = disks
            self.kernelArguments = kernelArguments
            self.initrdImage = initrdImage
            self.rootImage = rootImage
            self.restartPolicy = restartPolicy
            self.name = name
            self.backend = backend
            self.kind = kind
            self.image = image
            self.command = command
            self.resources = resources
            self.labels = labels
            self.metadata = metadata
            self.placement = placement
        }
    }
}
