import FlotillaCore
import Foundation

/// Registers the `kvm` artifacts of an image in the catalog (what `flotilla image import` does): checks that
/// the files exist, measures them and writes the catalog record. An existing image keeps its other fields
/// (its Docker reference, its description) and gets the new artifacts.
public struct ImageImporter: Sendable {
    public struct Request: Sendable, Equatable {
        public var id: String
        public var name: String?
        public var kernelPath: String
        public var initrdPath: String?
        public var rootDiskPath: String?
        public var rootDiskFormat: String?
        public var osDistro: String
        public var osVersion: String

        public init(
            id: String, name: String? = nil, kernelPath: String, initrdPath: String? = nil, rootDiskPath: String? = nil,
            rootDiskFormat: String? = nil, osDistro: String = "linux", osVersion: String = ""
        ) {
            self.id = id
            self.name = name
            self.kernelPath = kernelPath
            self.initrdPath = initrdPath
            self.rootDiskPath = rootDiskPath
            self.rootDiskFormat = rootDiskFormat
            self.osDistro = osDistro
            self.osVersion = osVersion
        }
    }

    let store: any ClusterStore
    let now: @Sendable () -> Date

    public init(store: any ClusterStore, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.now = now
    }

    /// Validates the request and writes the image; returns what was written.
    @discardableResult
    public func importImage(_ request: Request) async throws -> Image {
        guard !request.id.isEmpty, request.id.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw FlotillaError.validation("image id must be letters, digits, '-', '_' or '.'", field: "id")
        }
        if request.rootDiskPath == nil, request.rootDiskFormat != nil {
            throw FlotillaError.validation("a root disk format needs a root disk", field: "rootDiskFormat")
        }
        if let format = request.rootDiskFormat, !["raw", "qcow2"].contains(format) {
            throw FlotillaError.validation("root disk format must be raw or qcow2, got \(format)", field: "rootDiskFormat")
        }
        var size: Int64 = 0
        var paths: [String: String] = ["kernel": request.kernelPath]
        paths["initrd"] = request.initrdPath
        paths["rootDisk"] = request.rootDiskPath
        var absolute: [String: String] = [:]
        for (field, path) in paths.sorted(by: { $0.key < $1.key }) {
            let url = URL(fileURLWithPath: path).standardizedFileURL
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue,
                FileManager.default.isReadableFile(atPath: url.path)
            else { throw FlotillaError.validation("\(field) file not found or not readable: \(path)", field: field) }
            let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
            size += (attributes[.size] as? NSNumber)?.int64Value ?? 0
            absolute[field] = url.path
        }
        let artifacts = ImageArtifacts(
            kernelPath: absolute["kernel"], initrdPath: absolute["initrd"], rootDiskPath: absolute["rootDisk"],
            rootDiskFormat: request.rootDiskPath == nil ? nil : (request.rootDiskFormat ?? "qcow2"))
        let key = StoreKeys.image(request.id)
        let existing = try await store.get(key)
        var image: Image
        if let existing, let old = try? StoreCodec.decode(Image.self, from: existing.value) {
            image = old
            image.artifacts.kernelPath = artifacts.kernelPath
            image.artifacts.initrdPath = artifacts.initrdPath
            image.artifacts.rootDiskPath = artifacts.rootDiskPath
            image.artifacts.rootDiskFormat = artifacts.rootDiskFormat
            image.sizeBytes = size
            if let name = request.name { image.name = name }
        } else {
            image = Image(
                id: request.id, name: request.name ?? request.id, sizeBytes: size, osDistro: request.osDistro,
                osVersion: request.osVersion, createdAt: now(), description: "imported kvm artifacts",
                artifacts: artifacts)
        }
        let compare: Compare = existing.map { .unchanged(key, since: $0.modRevision) } ?? .absent(key)
        let result = try await store.txn([compare], then: [.put(key, try StoreCodec.encode(image))], otherwise: [])
        guard result.succeeded else {
            throw FlotillaError(.storeUnavailable, "image \(request.id) changed during the import; try again")
        }
        return image
    }
}
