import FlotillaCore
import Foundation
import Logging

/// Writes to the flavor and image catalogs kept in the store (`/flotilla/flavors/`, `/flotilla/images/`).
/// Reads come from the registry, which reduces those keys. Every write is one transaction guarded by a compare,
/// and returns once this host's registry has applied it (read-your-writes).
public struct CatalogService: Sendable {
    let store: any ClusterStore
    let registry: RegistryCache
    let logger: Logger

    public init(store: any ClusterStore, registry: RegistryCache, logger: Logger = Logger(label: "flotilla.catalog")) {
        self.store = store
        self.registry = registry
        self.logger = logger
    }

    // MARK: Reads

    /// Every flavor, smallest first (by vCPUs, memory, then id).
    public func flavors() -> [Flavor] {
        registry.read { $0.flavors.values.sorted { ($0.vcpus, $0.memoryMB, $0.diskGB, $0.id) < ($1.vcpus, $1.memoryMB, $1.diskGB, $1.id) } }
    }

    public func flavor(id: String) throws(FlotillaError) -> Flavor {
        guard let f = registry.read({ $0.flavors[id] }) else { throw Self.notFound("Flavor", id) }
        return f
    }

    /// Every image, by id.
    public func images() -> [Image] {
        registry.read { $0.images.values.sorted { $0.id < $1.id } }
    }

    public func image(id: String) throws(FlotillaError) -> Image {
        guard let i = registry.read({ $0.images[id] }) else { throw Self.notFound("Image", id) }
        return i
    }

    // MARK: Writes

    /// Adds a flavor. 409 when the id or the name is taken.
    public func create(_ flavor: Flavor) async throws(FlotillaError) -> Flavor {
        try CatalogValidation.validate(flavor)
        if let other = registry.read({ $0.flavors.values.first { $0.name == flavor.name && $0.id != flavor.id } }) {
            throw FlotillaError(
                .nameConflict, "A flavor named \(flavor.name) already exists",
                details: ["resource_type": "Flavor", "name": .string(flavor.name), "id": .string(other.id)])
        }
        let key = StoreKeys.flavor(flavor.id)
        let ok = try await write([.absent(key)], [.put(key, try encode(flavor))])
        guard ok else {
            throw FlotillaError(
                .nameConflict, "A flavor with id \(flavor.id) already exists",
                details: ["resource_type": "Flavor", "id": .string(flavor.id)])
        }
        logger.info("flavor added", metadata: ["id": "\(flavor.id)"])
        return flavor
    }

    /// Removes a flavor. VMs made with it keep their resources.
    public func deleteFlavor(id: String) async throws(FlotillaError) -> Flavor {
        let (flavor, revision) = try await read(Flavor.self, StoreKeys.flavor(id), kind: "Flavor", id: id)
        guard try await write([.unchanged(StoreKeys.flavor(id), since: revision)], [.delete(key: StoreKeys.flavor(id))]) else {
            throw FlotillaError(.storeUnavailable, "The flavor \(id) changed while being deleted; try again")
        }
        logger.info("flavor deleted", metadata: ["id": "\(id)"])
        return flavor
    }

    /// Adds an image, or replaces one when `replace` (to add artifacts to an existing entry, e.g. a kernel for
    /// `kvm`). 409 when it exists and `replace` is false.
    public func put(_ image: Image, replace: Bool) async throws(FlotillaError) -> Image {
        try CatalogValidation.validate(image)
        let key = StoreKeys.image(image.id)
        var image = image
        if replace, let existing = registry.read({ $0.images[image.id] }) { image.createdAt = existing.createdAt }
        let compares: [Compare] = replace ? [] : [.absent(key)]
        guard try await write(compares, [.put(key, try encode(image))]) else {
            throw FlotillaError(
                .nameConflict, "An image with id \(image.id) already exists",
                details: ["resource_type": "Image", "id": .string(image.id)])
        }
        logger.info("image stored", metadata: ["id": "\(image.id)", "replace": "\(replace)"])
        return image
    }

    /// Removes an image. VMs made from it keep running; their backends already hold what they need.
    public func deleteImage(id: String) async throws(FlotillaError) -> Image {
        let (image, revision) = try await read(Image.self, StoreKeys.image(id), kind: "Image", id: id)
        guard try await write([.unchanged(StoreKeys.image(id), since: revision)], [.delete(key: StoreKeys.image(id))]) else {
            throw FlotillaError(.storeUnavailable, "The image \(id) changed while being deleted; try again")
        }
        logger.info("image deleted", metadata: ["id": "\(id)"])
        return image
    }

    // MARK: Helpers

    /// `kind` as upstream names it in `resource_type`: `Flavor`, `Image`.
    static func notFound(_ kind: String, _ id: String) -> FlotillaError {
        FlotillaError(
            .resourceNotFound, "\(kind) \(id) not found",
            details: ["resource_type": .string(kind), "resource_id": .string(id)])
    }

    private func read<T: Decodable>(_ type: T.Type, _ key: String, kind: String, id: String) async throws(FlotillaError)
        -> (T, Revision)
    {
        let kv: KeyValue?
        do { kv = try await store.get(key) } catch { throw Self.storeError(error) }
        guard let kv, let value = try? StoreCodec.decode(T.self, from: kv.value) else { throw Self.notFound(kind, id) }
        return (value, kv.modRevision)
    }

    /// Runs one guarded transaction; true when it ran, after the registry applied it.
    private func write(_ compares: [Compare], _ then: [TxnOp]) async throws(FlotillaError) -> Bool {
        let result: TxnResult
        do { result = try await store.txn(compares, then: then, otherwise: []) } catch { throw Self.storeError(error) }
        guard result.succeeded else { return false }
        await registry.catchUp(to: result.revision)
        return true
    }

    private func encode<T: Encodable>(_ value: T) throws(FlotillaError) -> Data {
        do { return try StoreCodec.encode(value) } catch {
            throw FlotillaError(.internalError, "could not encode a catalog record", cause: "\(error)")
        }
    }

    private static func storeError(_ error: any Error) -> FlotillaError {
        if let e = error as? FlotillaError { return e }
        return FlotillaError(.storeUnavailable, "The cluster store is not available", cause: "\(error)")
    }
}
