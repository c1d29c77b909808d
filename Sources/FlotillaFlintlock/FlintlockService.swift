import FlotillaCluster
import FlotillaCore
import Foundation

/// Surface E's operations over the shared instance service, for the gRPC service and the HTTP gateway alike.
/// Errors are `FlotillaError`s; each transport maps them once (``FlintlockStatus``).
public struct FlintlockService: Sendable {
    let instances: InstanceService
    let registry: RegistryCache
    /// The backend of a MicroVM that names no provider.
    let defaultProvider: BackendKind

    public init(instances: InstanceService, registry: RegistryCache, defaultProvider: BackendKind = .kvm) {
        self.instances = instances
        self.registry = registry
        self.defaultProvider = defaultProvider
    }

    /// Records the MicroVM (state PENDING) and answers at once; the scheduler places it.
    public func create(_ request: CreateMicroVMRequest) async throws(FlotillaError) -> MicroVM {
        let uid = ULID().description
        let (images, networks) = catalog()
        let create = try FlintlockCreate.instance(for: request, uid: uid, defaultProvider: defaultProvider, networks: networks) { ref in
            images[ref] ?? images.values.first { $0.artifacts.dockerReference == ref }
        }
        let written: Written
        do {
            written = try await instances.create(create)
        } catch  where error.code == .nameConflict {
            throw FlotillaError(
                .nameConflict,
                "A microvm \(request.microvm.id) already exists in namespace \(create.spec.metadata[FlintlockMapping.Key.namespace] ?? "")",
                details: error.details)
        }
        return FlintlockMapping.microVM(written.instance, images: images, networks: networks)
    }

    /// The MicroVM with `uid`; NOT_FOUND once it is deleted.
    public func get(uid: String) throws(FlotillaError) -> MicroVM {
        let instance = try instance(uid: uid)
        let (images, networks) = catalog()
        return FlintlockMapping.microVM(instance, images: images, networks: networks)
    }

    /// Asks for the delete and answers at once: the MicroVM shows DELETING, then is gone.
    public func delete(uid: String) async throws(FlotillaError) {
        let instance = try instance(uid: uid)
        guard instance.state != .deleting else { return }
        // The service's write returns once this host's registry shows it (read-your-writes).
        _ = try await instances.perform(.delete, id: instance.id)
    }

    /// The MicroVMs surface E made, in `namespace` (every one when empty) and named `name` when given and not
    /// empty (upstream ignores an empty filter), oldest first.
    public func list(namespace: String, name: String?) -> [MicroVM] {
        let name = name.flatMap { $0.isEmpty ? nil : $0 }
        let matching = registry.read { state in
            Array(
                state.liveInstances.filter { i in
                    let m = i.spec.metadata
                    guard m[FlintlockMapping.Key.uid] != nil else { return false }
                    if !namespace.isEmpty, m[FlintlockMapping.Key.namespace] != namespace { return false }
                    if let name, m[FlintlockMapping.Key.name] != name { return false }
                    return true
                })
        }
        let (images, networks) = catalog()
        return matching.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }.map {
            FlintlockMapping.microVM($0, images: images, networks: networks)
        }
    }

    /// The image catalog and the VM networks, as the registry holds them now.
    func catalog() -> (images: [String: Image], networks: [String: NetworkDefinition]) {
        registry.read { state in (state.images, state.networks) }
    }

    /// The live MicroVM with Flintlock uid `uid` (a ULID), or whose instance id is `uid` (a UUID).
    /// INVALID_ARGUMENT when `uid` is neither.
    func instance(uid raw: String) throws(FlotillaError) -> Instance {
        guard !raw.isEmpty else { throw .validation("uid is required", field: "uid") }
        let found: Instance?
        if let ulid = ULID(raw) {
            let uid = ulid.description
            found = registry.read { state in
                state.liveInstances.first { $0.spec.metadata[FlintlockMapping.Key.uid] == uid }
            }
        } else if let uuid = UUID(uuidString: raw) {
            let id = uuid.uuidString.lowercased()
            found = registry.read { state in
                state.instances[id].map(\.value).flatMap { $0.isLive && FlintlockMapping.uid(of: $0) != nil ? $0 : nil }
            }
        } else {
            throw .validation("uid must be a ULID, got \(raw)", field: "uid")
        }
        guard let found else {
            throw FlotillaError(.instanceNotFound, "microvm \(raw) not found", details: ["uid": .string(raw)])
        }
        return found
    }
}
