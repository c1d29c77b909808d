import FlotillaCluster
import FlotillaCore
import Foundation

/// Checks a `CreateMicroVMRequest` and turns it into the instance to create (pure: the catalog is a lookup).
public enum FlintlockCreate {
    /// Backends a MicroVM may ask for as its `provider`.
    public static let providers: [BackendKind] = [.kvm, .sim]

    /// The instance for `request`, with `uid` as its Flintlock uid, on the cluster's `networks`. INVALID_ARGUMENT for
    /// a missing id or kernel image, a bad namespace, provider, size, metadata value, volume or interface;
    /// NOT_FOUND for an image the catalog lacks; IMAGE_ARTIFACT_MISSING when an image has nothing the backend can
    /// run or lacks what it is named for. The id and the namespace follow ``NameRule`` (63 bytes each); the spec as
    /// kept is at most ``TextLimit/metadataValueBytes`` of JSON. The mapping (docs/api/surface-e-flintlock.md):
    /// `kernel.image` is `config.image`; `initrd.image` and `root_volume`'s source, when they name another entry,
    /// are `config.initrdImage` and `config.rootImage`; `kernel.cmdline` is `config.kernelArguments`;
    /// `additional_volumes` are `config.disks`; `interfaces` are `config.networks`.
    public static func instance(
        for request: CreateMicroVMRequest, uid: String, defaultProvider: BackendKind,
        networks: [String: NetworkDefinition] = [:], image lookup: (String) -> Image?
    ) throws(FlotillaError) -> CreateInstance {
        guard request.hasMicrovm else { throw .validation("microvm is required", field: "microvm") }
        let spec = request.microvm
        guard !spec.id.isEmpty else { throw .validation("microvm.id (the name) is required", field: "microvm.id") }
        let name = try NameRule.check(spec.id, kind: .microVM, field: "microvm.id")
        let namespace =
            spec.namespace.isEmpty
            ? FlintlockMapping.defaultNamespace : try NameRule.check(spec.namespace, kind: .namespace, field: "microvm.namespace")
        let backend = try provider(spec, default: defaultProvider)
        let images = try images(of: spec, backend: backend, lookup)
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
        let disks = try disks(of: spec, lookup)
        let interfaces = try interfaces(spec.interfaces, networks: networks)
        let kernelArguments = try kernelArguments(spec.kernel.cmdline)
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
        let config = InstanceConfig(
            image: images.kernel.id, cloudInit: try cloudInit(spec.metadata), initrdImage: images.initrd?.id,
            rootImage: images.root?.id, kernelArguments: kernelArguments, disks: disks, networks: interfaces)
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
