public import Foundation

/// What one backend needs to run an image.
public struct ImageArtifacts: Sendable, Codable, Equatable, Hashable {
    /// A Docker image reference.
    public var dockerReference: String?
    /// For `kvm`: a kernel path, optional initrd and root disk paths.
    public var kernelPath: String?
    public var initrdPath: String?
    public var rootDiskPath: String?
    public var rootDiskFormat: String?

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

    /// What is missing for `backend` to run this image, or nil when nothing is.
    public func missing(for backend: BackendKind) -> String? {
        switch backend {
        case .sim: return nil
        case .docker: return dockerReference == nil ? "a Docker image reference" : nil
        case .kvm: return kernelPath == nil ? "a kernel" : nil
        }
    }
}

/// An image of the catalog (docs/api/surface-c-vms.md).
public struct Image: Sendable, Codable, Equatable, Hashable, Identifiable {
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
    public var description: String
    public var artifacts: ImageArtifacts

    public init(
        id: String, name: String, status: String = "active", sizeBytes: Int64 = 0, minDiskGB: Int64 = 0,
        minMemoryMB: Int64 = 0, osDistro: String, osVersion: String, architecture: String = "x86_64",
        createdAt: Date, description: String = "", artifacts: ImageArtifacts = ImageArtifacts()
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
    }

    /// The built-in images (docs/api/surface-c-vms.md, Shapes), seeded into the store once. They carry Docker
    /// references only; `kvm` artifacts are added with `flotilla image import`.
    public static func builtIn(createdAt: Date) -> [Image] {
        [
            Image(
                id: "ubuntu-22.04", name: "Ubuntu 22.04 LTS", sizeBytes: 2_361_393_152, minDiskGB: 10,
                minMemoryMB: 512, osDistro: "ubuntu", osVersion: "22.04", createdAt: createdAt,
                description: "Ubuntu 22.04 LTS (Jammy Jellyfish)",
                artifacts: ImageArtifacts(dockerReference: "ubuntu:22.04")),
            Image(
                id: "ubuntu-20.04", name: "Ubuntu 20.04 LTS", sizeBytes: 2_147_483_648, minDiskGB: 10,
                minMemoryMB: 512, osDistro: "ubuntu", osVersion: "20.04", createdAt: createdAt,
                description: "Ubuntu 20.04 LTS (Focal Fossa)",
                artifacts: ImageArtifacts(dockerReference: "ubuntu:20.04")),
            Image(
                id: "centos-9", name: "CentOS Stream 9", sizeBytes: 1_932_735_283, minDiskGB: 10, minMemoryMB: 1024,
                osDistro: "centos", osVersion: "9", createdAt: createdAt, description: "CentOS Stream 9",
                artifacts: ImageArtifacts(dockerReference: "quay.io/centos/centos:stream9")),
            Image(
                id: "debian-12", name: "Debian 12", sizeBytes: 1_073_741_824, minDiskGB: 8, minMemoryMB: 512,
                osDistro: "debian", osVersion: "12", createdAt: createdAt, description: "Debian 12 (Bookworm)",
                artifacts: ImageArtifacts(dockerReference: "debian:12")),
            Image(
                id: "windows-2022", name: "Windows Server 2022", sizeBytes: 10_737_418_240, minDiskGB: 40,
                minMemoryMB: 2048, osDistro: "windows", osVersion: "2022", createdAt: createdAt,
                description: "Windows Server 2022 (no artifact: listed for catalog compatibility)"),
        ]
    }
}
