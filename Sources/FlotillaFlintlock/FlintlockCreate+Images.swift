import FlotillaCore
import Foundation

extension FlintlockCreate {
    /// The catalog entries a MicroVM boots from: its kernel (or bundle), and the entries of its initrd and root
    /// volume when they are other entries than the kernel's (nil when they are the same one or not named).
    struct BootImages: Sendable, Equatable {
        var kernel: Image
        var initrd: Image?
        var root: Image?
    }

    /// The entries `kernel.image`, `initrd.image` and `root_volume.source.container_source` name (by id or Docker
    /// reference), each holding what it is named for, and the `filename`s checked against what they hold.
    static func images(of spec: MicroVMSpec, backend: BackendKind, _ lookup: (String) -> Image?) throws(FlotillaError)
        -> BootImages
    {
        let kernelRef = spec.kernel.image.trimmingCharacters(in: .whitespaces)
        guard spec.hasKernel, !kernelRef.isEmpty else {
            throw .validation("microvm.kernel.image is required", field: "microvm.kernel.image")
        }
        let kernel = try entry(kernelRef, field: "microvm.kernel.image", lookup)
        if let missing = kernel.artifacts.missing(for: backend) {
            throw FlotillaError(
                .imageArtifactMissing, "Image \(kernel.id) has no artifact for the \(backend.rawValue) provider: it needs \(missing)",
                details: ["imageId": .string(kernel.id), "provider": .string(backend.rawValue), "missing": .string(missing)])
        }
        var images = BootImages(kernel: kernel)
        if spec.hasInitrd, !spec.initrd.image.isEmpty {
            let initrd = try entry(spec.initrd.image, field: "microvm.initrd.image", lookup)
            if initrd.id != kernel.id {
                guard initrd.artifacts.initrdPath != nil else { throw lacks(initrd, "initrd", field: "microvm.initrd.image") }
                images.initrd = initrd
            }
        }
        if spec.hasRootVolume {
            let source = spec.rootVolume.source
            try refuseVirtiofs(source, field: "microvm.root_volume.source")
            if source.hasContainerSource, !source.containerSource.isEmpty {
                let field = "microvm.root_volume.source.container_source"
                let root = try entry(source.containerSource, field: field, lookup)
                if root.id != kernel.id {
                    guard root.artifacts.diskImage != nil else { throw lacks(root, "disk", field: field) }
                    images.root = root
                }
            }
        }
        if spec.kernel.hasFilename {
            try checkFilename(
                spec.kernel.filename, path: kernel.artifacts.kernelPath, image: kernel, what: "kernel",
                field: "microvm.kernel.filename")
        }
        if spec.hasInitrd, spec.initrd.hasFilename {
            let holder = images.initrd ?? kernel
            try checkFilename(
                spec.initrd.filename, path: holder.artifacts.initrdPath, image: holder, what: "initrd",
                field: "microvm.initrd.filename")
        }
        return images
    }

    /// The catalog entry `ref` names; NOT_FOUND when there is none.
    static func entry(_ ref: String, field: String, _ lookup: (String) -> Image?) throws(FlotillaError) -> Image {
        try TextLimit.check(ref, field: field, maxBytes: TextLimit.imageBytes)
        guard let image = lookup(ref) else {
            throw FlotillaError(
                .resourceNotFound, "\(field): image \(ref) is not in the image catalog",
                details: ["field": .string(field), "image": .string(ref)])
        }
        return image
    }

    /// IMAGE_ARTIFACT_MISSING: `image`, named in `field`, does not hold `artifact`.
    static func lacks(_ image: Image, _ artifact: String, field: String) -> FlotillaError {
        let kinds = image.artifacts.kinds
        let held = kinds.isEmpty ? "nothing" : kinds.joined(separator: ", ")
        return FlotillaError(
            .imageArtifactMissing,
            "\(field): image \(image.id) holds no \(artifact) (it holds: \(held))",
            details: ["field": .string(field), "imageId": .string(image.id), "missing": .string(artifact)])
    }

    /// A `filename` must be the name of the file the entry holds (Flintlock names a file inside its image; a
    /// catalog entry holds one kernel and one initrd): INVALID_ARGUMENT saying what the image holds otherwise.
    static func checkFilename(_ filename: String, path: String?, image: Image, what: String, field: String) throws(FlotillaError) {
        guard !filename.isEmpty else { return }
        guard let path else {
            throw .validation("\(field) \(filename): image \(image.id) holds no \(what)", field: field)
        }
        let held = path.split(separator: "/").last.map(String.init) ?? path
        let asked = filename.split(separator: "/").last.map(String.init) ?? filename
        guard asked == held else {
            throw .validation("\(field) \(filename): image \(image.id) holds the \(what) \(held)", field: field)
        }
    }

    /// A VirtioFS source is refused: Flotilla attaches volumes as block devices.
    static func refuseVirtiofs(_ source: Flintlock_Types_VolumeSource, field: String) throws(FlotillaError) {
        guard source.hasVirtiofsSource, !source.virtiofsSource.isEmpty else { return }
        throw .validation(
            "\(field).virtiofs_source is not supported: Flotilla attaches volumes as virtio-blk disks "
                + "(use container_source, a catalog disk image, or size_in_mb for an empty volume)",
            field: "\(field).virtiofs_source")
    }

    /// `kernel.cmdline` as one command line: `key=value` sorted by key, a key with an empty value alone, a value
    /// with spaces in double quotes. Added after Flotilla's own arguments, so a key named in both takes this value
    /// (docs/decisions/0026-vm-disks.md). Keys are printable ASCII without spaces, `=` or `"`; values are
    /// printable ASCII without `"`.
    static func kernelArguments(_ cmdline: [String: String]) throws(FlotillaError) -> String? {
        guard !cmdline.isEmpty else { return nil }
        let field = "microvm.kernel.cmdline"
        var parts: [String] = []
        for key in cmdline.keys.sorted() {
            let value = cmdline[key] ?? ""
            guard !key.isEmpty, key.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != "=" && $0 != "\"" })
            else {
                throw .validation(
                    "\(field) key \"\(shown(key))\" must be printable ASCII without spaces, '=' or '\"'", field: field)
            }
            guard value.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F && $0 != "\"" }) else {
                throw .validation("\(field)[\(shown(key))] must be printable ASCII without '\"'", field: field)
            }
            if value.isEmpty {
                parts.append(key)
            } else {
                parts.append(value.contains(" ") ? "\(key)=\"\(value)\"" : "\(key)=\(value)")
            }
        }
        return parts.joined(separator: " ")
    }

    /// Client text inside a message, cut to a readable length (``InstanceValidation/shown(_:)``).
    static func shown(_ text: String) -> String { InstanceValidation.shown(text) }
}
