import Foundation

extension VMs {
    /// A flavor: a named VM size.
    public struct Flavor: Codable, Sendable, Equatable {
        public var id: String
        public var name: String
        public var vcpus: Int
        public var memoryMB: Int64
        public var diskGB: Int64
        public var ephemeralGB: Int64
        public var swapMB: Int64
        public var isPublic: Bool
        @NullEncoded public var description: String?

        public init(
            id: String, name: String, vcpus: Int, memoryMB: Int64, diskGB: Int64, ephemeralGB: Int64 = 0,
            swapMB: Int64 = 0, isPublic: Bool = true, description: String? = nil
        ) {
            self.id = id
            self.name = name
            self.vcpus = vcpus
            self.memoryMB = memoryMB
            self.diskGB = diskGB
            self.ephemeralGB = ephemeralGB
            self.swapMB = swapMB
            self.isPublic = isPublic
            self.description = description
        }

        enum CodingKeys: String, CodingKey {
            case id, name, vcpus
            case memoryMB = "memory_mb"
            case diskGB = "disk_gb"
            case ephemeralGB = "ephemeral_gb"
            case swapMB = "swap_mb"
            case isPublic = "is_public"
            case description
        }
    }

    public struct FlavorList: Codable, Sendable, Equatable {
        public var items: [Flavor]
        public var total: Int
        public init(items: [Flavor], total: Int) {
            self.items = items
            self.total = total
        }
    }

    /// What each backend needs to run an image. A backend with nothing here cannot run it (409 on create).
    public struct ImageArtifacts: Codable, Sendable, Equatable {
        /// For `docker`: an image reference.
        @NullEncoded public var dockerReference: String?
        /// For `kvm`: a kernel, an optional initrd and an optional root disk (paths on the hosts).
        @NullEncoded public var kernelPath: String?
        @NullEncoded public var initrdPath: String?
        @NullEncoded public var rootDiskPath: String?
        @NullEncoded public var rootDiskFormat: String?

        public init(
            dockerReference: String? = nil, kernelPath: String? = nil, initrdPath: String? = nil,
            rootDiskPath: String? = nil, rootDiskFormat: String? = nil
        ) {
            self.dockerReference = dockerReference
            self.kernelPath = kernelPath
            self.initrdPath = initrdPath
            self.rootDiskPath = rootDiskPath
            self.rootDiskFormat = rootDiskFormat
        }

        enum CodingKeys: String, CodingKey {
            case dockerReference = "docker_reference"
            case kernelPath = "kernel_path"
            case initrdPath = "initrd_path"
            case rootDiskPath = "root_disk_path"
            case rootDiskFormat = "root_disk_format"
        }
    }

    /// An image of the catalog, with its per-backend artifacts and the backends that can run it.
    public struct Image: Codable, Sendable, Equatable {
        public var id: String
        public var name: String
        public var status: String
        public var sizeBytes: Int64
        public var minDiskGB: Int64
        public var minMemoryMB: Int64
        public var osDistro: String
        public var osVersion: String
        public var architecture: String
        public var createdAt: Date
        @NullEncoded public var description: String?
        public var artifacts: ImageArtifacts
        /// The backends this image has what it needs for.
        public var backends: [String]

        public init(
            id: String, name: String, status: String, sizeBytes: Int64, minDiskGB: Int64, minMemoryMB: Int64,
            osDistro: String, osVersion: String, architecture: String, createdAt: Date, description: String?,
            artifacts: ImageArtifacts, backends: [String]
        ) {
            self.id = id
            self.name = name
            self.status = status
            self.sizeBytes = sizeBytes
            self.minDiskGB = minDiskGB
            self.minMemoryMB = minMemoryMB
            self.osDistro = osDistro
            self.osVersion = osVersion
            self.architecture = architecture
            self.createdAt = createdAt
            self.description = description
            self.artifacts = artifacts
            self.backends = backends
        }

        enum CodingKeys: String, CodingKey {
            case id, name, status
            case sizeBytes = "size_bytes"
            case minDiskGB = "min_disk_gb"
            case minMemoryMB = "min_memory_mb"
            case osDistro = "os_distro"
            case osVersion = "os_version"
            case architecture
            case createdAt = "created_at"
            case description, artifacts, backends
        }
    }

    public struct ImageList: Codable, Sendable, Equatable {
        public var items: [Image]
        public var total: Int
        public init(items: [Image], total: Int) {
            self.items = items
            self.total = total
        }
    }

    /// `POST /api/v1/flavors` (admin).
    public struct FlavorCreateRequest: Codable, Sendable, Equatable {
        public var id: String?
        public var name: String
        public var vcpus: Int
        public var memoryMB: Int64
        public var diskGB: Int64
        public var ephemeralGB: Int64?
        public var swapMB: Int64?
        public var isPublic: Bool?
        public var description: String?

        public init(
            id: String? = nil, name: String, vcpus: Int, memoryMB: Int64, diskGB: Int64, ephemeralGB: Int64? = nil,
            swapMB: Int64? = nil, isPublic: Bool? = nil, description: String? = nil
        ) {
            self.id = id
            self.name = name
            self.vcpus = vcpus
            self.memoryMB = memoryMB
            self.diskGB = diskGB
            self.ephemeralGB = ephemeralGB
            self.swapMB = swapMB
            self.isPublic = isPublic
            self.description = description
        }

        /// The body's keys: the server reads the raw JSON by these.
        public enum CodingKeys: String, CodingKey {
            case id, name, vcpus
            case memoryMB = "memory_mb"
            case diskGB = "disk_gb"
            case ephemeralGB = "ephemeral_gb"
            case swapMB = "swap_mb"
            case isPublic = "is_public"
            case description
        }
    }

    /// `POST /api/v1/images` (admin): imports an image with what each backend needs to run it.
    public struct ImageCreateRequest: Codable, Sendable, Equatable {
        public var id: String
        public var name: String?
        public var sizeBytes: Int64?
        public var minDiskGB: Int64?
        public var minMemoryMB: Int64?
        public var osDistro: String?
        public var osVersion: String?
        public var architecture: String?
        public var description: String?
        public var dockerReference: String?
        public var kernelPath: String?
        public var initrdPath: String?
        public var rootDiskPath: String?
        public var rootDiskFormat: String?

        public init(
            id: String, name: String? = nil, sizeBytes: Int64? = nil, minDiskGB: Int64? = nil,
            minMemoryMB: Int64? = nil, osDistro: String? = nil, osVersion: String? = nil,
            architecture: String? = nil, description: String? = nil, dockerReference: String? = nil,
            kernelPath: String? = nil, initrdPath: String? = nil, rootDiskPath: String? = nil,
            rootDiskFormat: String? = nil
        ) {
            self.id = id
            self.name = name
            self.sizeBytes = sizeBytes
            self.minDiskGB = minDiskGB
            self.minMemoryMB = minMemoryMB
            self.osDistro = osDistro
            self.osVersion = osVersion
            self.architecture = architecture
            self.description = description
            self.dockerReference = dockerReference
            self.kernelPath = kernelPath
            self.initrdPath = initrdPath
            self.rootDiskPath = rootDiskPath
            self.rootDiskFormat = rootDiskFormat
        }

        /// The body's keys: the server reads the raw JSON by these.
        public enum CodingKeys: String, CodingKey {
            case id, name
            case sizeBytes = "size_bytes"
            case minDiskGB = "min_disk_gb"
            case minMemoryMB = "min_memory_mb"
            case osDistro = "os_distro"
            case osVersion = "os_version"
            case architecture, description
            case dockerReference = "docker_reference"
            case kernelPath = "kernel_path"
            case initrdPath = "initrd_path"
            case rootDiskPath = "root_disk_path"
            case rootDiskFormat = "root_disk_format"
        }
    }
}
