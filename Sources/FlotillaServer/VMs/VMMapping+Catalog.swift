import FlotillaAPI
import FlotillaCore
import Foundation

/// Surface C's flavor and image catalog (`/api/v1/flavors`, `/api/v1/images`): the wire shapes of catalog
/// entries, and the checked admin bodies that create them.
extension VMMapping {
    static func flavor(_ f: Flavor) -> VMs.Flavor {
        VMs.Flavor(
            id: f.id, name: f.name, vcpus: f.vcpus, memoryMB: f.memoryMB, diskGB: f.diskGB, ephemeralGB: f.ephemeralGB,
            swapMB: f.swapMB, isPublic: f.isPublic, description: f.description.isEmpty ? nil : f.description)
    }

    static func image(_ i: Image) -> VMs.Image {
        let a = i.artifacts
        return VMs.Image(
            id: i.id, name: i.name, status: i.status, sizeBytes: i.sizeBytes, minDiskGB: i.minDiskGB,
            minMemoryMB: i.minMemoryMB, osDistro: i.osDistro, osVersion: i.osVersion, architecture: i.architecture,
            createdAt: i.createdAt, description: i.description.isEmpty ? nil : i.description,
            artifacts: VMs.ImageArtifacts(
                dockerReference: a.dockerReference, kernelPath: a.kernelPath, initrdPath: a.initrdPath,
                rootDiskPath: a.rootDiskPath, rootDiskFormat: a.rootDiskFormat),
            backends: BackendKind.allCases.filter { a.missing(for: $0) == nil }.sorted().map(\.rawValue))
    }

    /// Catalog ids: 1-64 characters of letters, digits, `.`, `-` and `_` (they are store keys and URL parts).
    static func catalogId(_ f: inout FieldReader, _ key: String, required: Bool) -> String? {
        guard let id = f.string(key, required: required, minLength: 1, maxLength: 64) else { return nil }
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")
        guard id.unicodeScalars.allSatisfy(allowed.contains), id != ".", id != ".." else {
            f.fail(
                .stringPatternMismatch, [key], "String should match pattern '^[A-Za-z0-9._-]+$'", input: .string(id))
            return nil
        }
        return id
    }

    static func flavorBody(_ fields: FieldReader) throws -> Flavor {
        typealias Field = VMs.FlavorCreateRequest.CodingKeys
        var f = fields
        let name = f.name(Field.name.stringValue, kind: .flavor, required: true)
        let id = catalogId(&f, Field.id.stringValue, required: false)
        let vcpus = f.integer(Field.vcpus.stringValue, required: true, range: 1...1024)
        let memory = f.integer(Field.memoryMB.stringValue, required: true, range: 4...16_777_216)
        let disk = f.integer(Field.diskGB.stringValue, required: true, range: 0...1_048_576)
        let ephemeral = f.integer(Field.ephemeralGB.stringValue, range: 0...1_048_576)
        let swap = f.integer(Field.swapMB.stringValue, range: 0...16_777_216)
        let isPublic = f.bool(Field.isPublic.stringValue)
        let description = f.string(Field.description.stringValue, maxLength: TextLimit.descriptionBytes)
        if id == nil, let name, f.object[Field.id.stringValue] == nil {
            // Without an id, the name is the id: it must fit the id rules.
            var probe = FieldReader(location: "body", object: [Field.name.stringValue: .string(name)])
            _ = catalogId(&probe, Field.name.stringValue, required: true)
            for issue in probe.issues { f.fail(issue, at: [Field.name.stringValue]) }
        }
        try f.check()
        guard let name, let vcpus, let memory, let disk else {
            throw RequestValidationError.missing(at: ["body"])
        }
        return Flavor(
            id: id ?? name, name: name, vcpus: Int(vcpus), memoryMB: memory, diskGB: disk, ephemeralGB: ephemeral ?? 0,
            swapMB: swap ?? 0, isPublic: isPublic ?? true, description: description ?? "")
    }

    static func imageBody(_ fields: FieldReader, now: Date) throws -> Image {
        typealias Field = VMs.ImageCreateRequest.CodingKeys
        var f = fields
        let id = catalogId(&f, Field.id.stringValue, required: true)
        let name = f.name(Field.name.stringValue, kind: .image)
        let size = f.integer(Field.sizeBytes.stringValue, range: 0...Int64.max)
        let minDisk = f.integer(Field.minDiskGB.stringValue, range: 0...1_048_576)
        let minMemory = f.integer(Field.minMemoryMB.stringValue, range: 0...16_777_216)
        let distro = f.line(Field.osDistro.stringValue, maxLength: 255)
        let version = f.line(Field.osVersion.stringValue, maxLength: 255)
        let arch = f.line(Field.architecture.stringValue, minLength: 1, maxLength: 64)
        let description = f.string(Field.description.stringValue, maxLength: TextLimit.descriptionBytes)
        let docker = f.line(Field.dockerReference.stringValue, minLength: 1, maxLength: 1024)
        let kernel = f.line(Field.kernelPath.stringValue, minLength: 1, maxLength: 4096)
        let initrd = f.line(Field.initrdPath.stringValue, minLength: 1, maxLength: 4096)
        let rootDisk = f.line(Field.rootDiskPath.stringValue, minLength: 1, maxLength: 4096)
        let rootFormat = f.choice(Field.rootDiskFormat.stringValue, ["raw", "qcow2"])
        for (key, path) in [(Field.kernelPath, kernel), (.initrdPath, initrd), (.rootDiskPath, rootDisk)] {
            if let path, !path.hasPrefix("/") {
                f.fail(.valueError, [key.stringValue], "Value error, must be an absolute path", input: .string(path))
            }
        }
        // Separate kernel, initrd and disk entries, or a bundle (ImageArtifacts.entryProblem).
        let kvm = ImageArtifacts(kernelPath: kernel, initrdPath: initrd, rootDiskPath: rootDisk, rootDiskFormat: rootFormat)
        if let problem = kvm.entryProblem {
            let key: Field = problem.field == "diskFormat" ? .rootDiskFormat : .kernelPath
            f.fail(.valueError, [key.stringValue], "Value error, " + problem.message, input: f.whole)
        }
        try f.check()
        guard let id else { throw RequestValidationError.missing(at: ["body", .string(Field.id.stringValue)]) }
        return Image(
            id: id, name: name ?? id, sizeBytes: size ?? 0, minDiskGB: minDisk ?? 0, minMemoryMB: minMemory ?? 0,
            osDistro: distro ?? "", osVersion: version ?? "", architecture: arch ?? "x86_64", createdAt: now,
            description: description ?? "",
            artifacts: ImageArtifacts(
                dockerReference: docker, kernelPath: kernel, initrdPath: initrd, rootDiskPath: rootDisk,
                rootDiskFormat: rootFormat))
    }
}
