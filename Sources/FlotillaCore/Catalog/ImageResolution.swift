/// A disk image file of the catalog: its path on every host and its format.
public struct DiskImage: Sendable, Codable, Equatable, Hashable {
    public var path: String
    /// `raw` or `qcow2`.
    public var format: String

    public init(path: String, format: String) {
        self.path = path
        self.format = format
    }
}

extension ImageArtifacts {
    /// What kinds of artifact the image holds, for listings: `kernel`, `initrd`, `disk`, `docker`.
    public var kinds: [String] {
        [("kernel", kernelPath), ("initrd", initrdPath), ("disk", rootDiskPath), ("docker", dockerReference)]
            .compactMap { $0.1 == nil ? nil : $0.0 }
    }

    /// Why these kvm artifacts cannot make one catalog entry, or nil: an entry is a kernel (alone, or a bundle
    /// with an initrd and/or a disk), an initrd alone, or a disk alone (docs/decisions/0026-vm-disks.md).
    /// `field` is the offending artifact: `kernel`, `initrd`, `disk` or `diskFormat`.
    public var entryProblem: (field: String, message: String)? {
        if let format = rootDiskFormat, !["raw", "qcow2"].contains(format) {
            return ("diskFormat", "disk format must be raw or qcow2, got \(InstanceValidation.shown(format))")
        }
        if rootDiskFormat != nil, rootDiskPath == nil { return ("diskFormat", "a disk format needs a disk") }
        if kernelPath == nil, initrdPath != nil, rootDiskPath != nil {
            return (
                "kernel",
                "an entry without a kernel holds one artifact, an initrd or a disk: import them as two entries, "
                    + "or add the kernel to make a bundle"
            )
        }
        return nil
    }

    /// The disk image an entry holds, if any (a volume or root-disk entry, or a bundle's root disk).
    public var diskImage: DiskImage? { rootDiskPath.map { DiskImage(path: $0, format: rootDiskFormat ?? "qcow2") } }

    /// The artifacts a config runs on (pure; docs/decisions/0026-vm-disks.md): those of `config.image` (a bundle
    /// or a kernel-only entry), with the initrd of `config.initrdImage` and the disk of `config.rootImage` in
    /// place of the image's own when named. Nil when `config.image` is not in the catalog and names nothing else
    /// (the backend may then read it as a path). Throws the missing entry or artifact.
    public static func resolve(_ config: InstanceConfig, images: [String: Image]) throws(ImageResolutionError) -> ImageArtifacts? {
        var artifacts = images[config.image]?.artifacts
        if let ref = config.initrdImage {
            guard let image = images[ref] else { throw .notInCatalog(field: "initrdImage", image: ref) }
            guard let initrd = image.artifacts.initrdPath else { throw .lacks(field: "initrdImage", image: ref, artifact: "an initrd") }
            artifacts = artifacts ?? ImageArtifacts()
            artifacts?.initrdPath = initrd
        }
        if let ref = config.rootImage {
            guard let image = images[ref] else { throw .notInCatalog(field: "rootImage", image: ref) }
            guard let disk = image.artifacts.diskImage else { throw .lacks(field: "rootImage", image: ref, artifact: "a disk") }
            artifacts = artifacts ?? ImageArtifacts()
            artifacts?.rootDiskPath = disk.path
            artifacts?.rootDiskFormat = disk.format
        }
        return artifacts
    }

    /// The catalog disk of each additional disk that names an image, by disk id.
    public static func diskImages(_ config: InstanceConfig, images: [String: Image]) throws(ImageResolutionError) -> [String: DiskImage] {
        var out: [String: DiskImage] = [:]
        for disk in config.disks ?? [] {
            guard let ref = disk.image else { continue }
            guard let image = images[ref] else { throw .notInCatalog(field: "disks[\(disk.id)].image", image: ref) }
            guard let source = image.artifacts.diskImage else {
                throw .lacks(field: "disks[\(disk.id)].image", image: ref, artifact: "a disk")
            }
            out[disk.id] = source
        }
        return out
    }
}

/// A catalog reference that cannot be resolved.
public enum ImageResolutionError: Error, Sendable, Equatable, CustomStringConvertible {
    case notInCatalog(field: String, image: String)
    case lacks(field: String, image: String, artifact: String)

    public var field: String {
        switch self {
        case .notInCatalog(let field, _), .lacks(let field, _, _): return "config." + field
        }
    }

    public var description: String {
        switch self {
        case .notInCatalog(let field, let image): return "config.\(field): image \(image) is not in the image catalog"
        case .lacks(let field, let image, let artifact): return "config.\(field): image \(image) does not hold \(artifact)"
        }
    }
}
