import FlotillaCluster
import FlotillaCore
import Foundation

/// Checks a `CreateMicroVMRequest` and turns it into the instance to create (pure: the catalog is a lookup).
public enum FlintlockCreate {
    /// Backends a MicroVM may ask for as its `provider`.
    public static let providers: [BackendKind] = [.kvm, .sim]

    /// The instance for `request`, with `uid` as its Flintlock uid. INVALID_ARGUMENT for a missing id or kernel
    /// image, a bad namespace, provider, size or metadata value; NOT_FOUND for an image the catalog lacks;
    /// IMAGE_ARTIFACT_MISSING when the image has nothing the backend can run. The id and the namespace follow
    /// ``NameRule`` (63 bytes each); the spec as kept is at most ``TextLimit/metadataValueBytes`` of JSON.
    public static func instance(
        for request: CreateMicroVMRequest, uid: String, defaultProvider: BackendKind, image lookup: (String) -> Image?
    ) throws(FlotillaError) -> CreateInstance {
        guard request.hasMicrovm else { throw .validation("microvm is required", field: "microvm") }
        let spec = request.microvm
        guard !spec.id.isEmpty else { throw .validation("microvm.id (the name) is required", field: "microvm.id") }
        let name = try NameRule.check(spec.id, kind: .microVM, field: "microvm.id")
        let namespace =
            spec.namespace.isEmpty
            ? FlintlockMapping.defaultNamespace : try NameRule.check(spec.namespace, kind: .namespace, field: "microvm.namespace")
        let backend = try provider(spec, default: defaultProvider)
        let image = try image(of: spec, lookup)
        if let missing = image.artifacts.missing(for: backend) {
            throw FlotillaError(
                .imageArtifactMissing, "Image \(image.id) has no artifact for the \(backend.rawValue) provider: it needs \(missing)",
                details: ["imageId": .string(image.id), "provider": .string(backend.rawValue), "missing": .string(missing)])
        }
        let vcpu = spec.vcpu == 0 ? FlintlockMapping.defaultVCPU : spec.vcpu
        let memory = spec.memoryInMb == 0 ? FlintlockMapping.defaultMemoryMB : spec.memoryInMb
        guard vcpu > 0 else { throw .validation("microvm.vcpu must be positive", field: "microvm.vcpu") }
        guard memory > 0 else { throw .validation("microvm.memory_in_mb must be positive", field: "microvm.memory_in_mb") }
        var storage: Int64 = 0
        if spec.hasRootVolume, spec.rootVolume.hasSizeInMb {
            guard spec.rootVolume.sizeInMb >= 0 else {
                throw .validation("microvm.root_volume.size_in_mb must not be negative", field: "microvm.root_volume.size_in_mb")
            }
            storage = Int64(spec.rootVolume.sizeInMb) << 20
        }
        var stored = spec
        stored.id = name
        stored.namespace = namespace
        stored.vcpu = vcpu
        stored.memoryInMb = memory
        stored.provider = backend.rawValue
        let kept = FlintlockMapping.storedSpec(stored)
        guard kept.utf8.count <= TextLimit.metadataValueBytes else {
            throw .validation(
                "microvm must be at most \(TextLimit.metadataValueBytes) bytes as JSON (got \(kept.utf8.count))", field: "microvm")
        }
        let metadata = [
            FlintlockMapping.Key.uid: uid, FlintlockMapping.Key.namespace: namespace, FlintlockMapping.Key.name: name,
            FlintlockMapping.Key.spec: kept,
        ]
        let config = InstanceConfig(image: image.id, cloudInit: try cloudInit(spec.metadata))
        let resources = Resources(cpuCores: Double(vcpu), memoryBytes: Int64(memory) << 20, storageBytes: storage)
        return CreateInstance(
            name: FlintlockMapping.instanceName(namespace: namespace, name: name), kind: .vm, backend: backend,
            spec: InstanceSpec(
                config: config, resources: resources, labels: spec.labels, metadata: metadata,
                restartPolicy: .always))
    }

    static func provider(_ spec: MicroVMSpec, default fallback: BackendKind) throws(FlotillaError) -> BackendKind {
        guard spec.hasProvider, !spec.provider.isEmpty else { return fallback }
        guard let kind = BackendKind(rawValue: spec.provider.lowercased()), providers.contains(kind) else {
            throw .validation(
                "microvm.provider must be one of \(providers.map(\.rawValue).joined(separator: ", ")), got \(spec.provider)",
                field: "microvm.provider")
        }
        return kind
    }

    /// The one catalog image the kernel, the initrd and the root volume name (by id or reference).
    static func image(of spec: MicroVMSpec, _ lookup: (String) -> Image?) throws(FlotillaError) -> Image {
        let kernelRef = spec.kernel.image.trimmingCharacters(in: .whitespaces)
        guard spec.hasKernel, !kernelRef.isEmpty else {
            throw .validation("microvm.kernel.image is required", field: "microvm.kernel.image")
        }
        var named = [("microvm.kernel.image", kernelRef)]
        if spec.hasInitrd, !spec.initrd.image.isEmpty { named.append(("microvm.initrd.image", spec.initrd.image)) }
        if spec.hasRootVolume, spec.rootVolume.source.hasContainerSource, !spec.rootVolume.source.containerSource.isEmpty {
            named.append(("microvm.root_volume.source.container_source", spec.rootVolume.source.containerSource))
        }
        var found: Image?
        for (field, ref) in named {
            try TextLimit.check(ref, field: field, maxBytes: TextLimit.imageBytes)
            guard let image = lookup(ref) else {
                throw FlotillaError(
                    .resourceNotFound, "\(field): image \(ref) is not in the image catalog",
                    details: ["field": .string(field), "image": .string(ref)])
            }
            if let first = found, first.id != image.id {
                throw .validation(
                    "\(field) names image \(image.id) but microvm.kernel.image names \(first.id): a Flotilla image holds the kernel, initrd and root disk together",
                    field: field)
            }
            found = image
        }
        // `named` starts with the kernel, whose lookup either found an image or threw.
        guard let found else { throw .validation("microvm.kernel.image is required", field: "microvm.kernel.image") }
        return found
    }

    /// Cloud-init from Flintlock's metadata: every value must be base64; `user-data` and `meta-data` are used.
    static func cloudInit(_ metadata: [String: String]) throws(FlotillaError) -> CloudInit? {
        var files: [String: String] = [:]
        for (key, value) in metadata {
            guard let data = Data(base64Encoded: value, options: .ignoreUnknownCharacters),
                let text = String(data: data, encoding: .utf8)
            else {
                throw .validation("microvm.metadata[\(key)] must be base64 of a UTF-8 file", field: "microvm.metadata.\(key)")
            }
            files[key] = text
        }
        guard files["user-data"] != nil || files["meta-data"] != nil else { return nil }
        return CloudInit(userData: files["user-data"], metaData: files["meta-data"])
    }
}
