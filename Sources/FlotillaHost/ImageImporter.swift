import FlotillaCore
import Foundation

/// Registers the `kvm` artifacts of an image in the catalog (what `flotilla image import` does): checks that
/// the files exist, measures them and writes the catalog record. An existing image keeps its other fields
/// (its Docker reference, its description) and gets the new artifacts.
///
/// An entry is a kernel (alone, or a bundle with an initrd and/or a disk), an initrd alone, or a disk alone
/// (``ImageArtifacts/entryProblem``; docs/decisions/0026-vm-disks.md). A disk's format, when not given, is read
/// from the file's header (``probeDiskFormat(path:)``).
public struct ImageImporter: Sendable {
    public struct Request: Sendable, Equatable {
        public var id: String
        public var name: String?
        public var kernelPath: String?
        public var initrdPath: String?
        public var rootDiskPath: String?
        public var rootDiskFormat: String?
        public var osDistro: String
        public var osVersion: String

        public init(
            id: String, name: String? = nil, kernelPath: String? = nil, initrdPath: String? = nil,
            rootDiskPath: String? = nil, rootDiskFormat: String? = nil, osDistro: String = "linux", osVersion: String = ""
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
    let clock: WallClock

    public init(store: any ClusterStore, clock: WallClock = .system) {
        self.store = store
        self.clock = clock
    }

    /// Validates the request and writes the image; returns what was written.
    @discardableResult
    public func importImage(_ request: Request) async throws -> Image {
        guard !request.id.isEmpty, request.id.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw FlotillaError.validation("image id must be letters, digits, '-', '_' or '.'", field: "id")
        }
        guard request.kernelPath != nil || request.initrdPath != nil || request.rootDiskPath != nil else {
            throw FlotillaError.validation("an image needs a kernel, an initrd or a disk", field: "kernelPath")
        }
        let fields = ["kernel": "kernelPath", "initrd": "initrdPath", "disk": "rootDiskPath", "diskFormat": "rootDiskFormat"]
        let asked = ImageArtifacts(
            kernelPath: request.kernelPath, initrdPath: request.initrdPath, rootDiskPath: request.rootDiskPath,
            rootDiskFormat: request.rootDiskFormat)
        if let problem = asked.entryProblem {
            throw FlotillaError.validation(problem.message, field: fields[problem.field] ?? "kernelPath")
        }
        var size: Int64 = 0
        var paths: [String: String] = [:]
        paths["kernel"] = request.kernelPath
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
        var format = request.rootDiskFormat
        if let disk = absolute["rootDisk"], format == nil {
            do { format = try Self.probeDiskFormat(path: disk) } catch {
                throw FlotillaError.validation(error.description, field: "rootDiskPath")
            }
        }
        let artifacts = ImageArtifacts(
            kernelPath: absolute["kernel"], initrdPath: absolute["initrd"], rootDiskPath: absolute["rootDisk"],
            rootDiskFormat: format)
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
                osVersion: request.osVersion, createdAt: clock.now,
                description: "imported kvm " + artifacts.kinds.joined(separator: ", "), artifacts: artifacts)
        }
        let compare: Compare = existing.map { .unchanged(key, since: $0.modRevision) } ?? .absent(key)
        let result = try await store.txn([compare], then: [.put(key, try StoreCodec.encode(image))], otherwise: [])
        guard result.succeeded else {
            throw FlotillaError(.storeUnavailable, "image \(request.id) changed during the import; try again")
        }
        return image
    }

    /// A disk image format that cannot be used, or a file that cannot be read.
    public struct ProbeError: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// The format of a disk image file, from its header: `qcow2` (magic `QFI\xfb`), else `raw`. The formats
    /// QEMU reads but Flotilla does not take (vmdk, vdi, vhdx, vpc, qed, qcow v1) are refused by name: read as
    /// raw they would boot garbage. This is the probe `qemu-img info` makes for these formats, without
    /// starting a program (the CLI and the host both call it).
    public static func probeDiskFormat(path: String) throws(ProbeError) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ProbeError(description: "disk file not found or not readable: \(path)")
        }
        defer { try? handle.close() }
        let header = [UInt8]((try? handle.read(upToCount: 512)) ?? Data())
        return try probeDiskFormat(header: header, path: path)
    }

    /// ``probeDiskFormat(path:)`` on the first bytes of a file (pure).
    public static func probeDiskFormat(header: [UInt8], path: String) throws(ProbeError) -> String {
        func starts(_ magic: [UInt8], at offset: Int = 0) -> Bool {
            header.count >= offset + magic.count && Array(header[offset..<(offset + magic.count)]) == magic
        }
        if starts([0x51, 0x46, 0x49, 0xfb]) {
            let version = header.count >= 8 ? header[7] : 0
            guard version >= 2 else { throw ProbeError(description: "\(path): qcow version 1 is not supported; use qcow2 or raw") }
            return "qcow2"
        }
        let others: [(String, [UInt8], Int)] = [
            ("vmdk", Array("KDMV".utf8), 0), ("vmdk", Array("# Disk DescriptorFile".utf8), 0),
            ("vdi", Array("<<< ".utf8), 0), ("vhdx", Array("vhdxfile".utf8), 0), ("vpc", Array("conectix".utf8), 0),
            ("qed", [0x51, 0x45, 0x44, 0x00], 0),
        ]
        for (name, magic, offset) in others where starts(magic, at: offset) {
            throw ProbeError(description: "\(path) is a \(name) image; Flotilla takes raw or qcow2 (convert it with qemu-img convert)")
        }
        return "raw"
    }
}
