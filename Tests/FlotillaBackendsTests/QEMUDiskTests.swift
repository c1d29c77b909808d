import FlotillaBackends
import FlotillaCore
import FlotillaTestSupport
import Foundation
import Testing

/// Additional disks of a kvm VM (docs/decisions/0026-vm-disks.md), checked against real QEMU (TCG) over QMP: no
/// guest needs to boot for QEMU to show its drives. What the guest sees (a file read, a write refused) is checked
/// by the end-to-end tests.
@Suite(.serialized, .enabled(if: KVMTestSupport.enabled, KVMTestSupport.skipReason))
struct QEMUDiskTests {
    /// The block device of `drive` in a QMP `query-block` answer.
    static func drive(_ name: String, in blocks: JSONValue) -> [String: JSONValue]? {
        guard case .array(let list) = blocks else { return nil }
        for case .object(let fields) in list where fields["device"] == .string(name) { return fields }
        return nil
    }

    static func inserted(_ drive: [String: JSONValue]?) -> [String: JSONValue] {
        guard case .object(let fields)? = drive?["inserted"] else { return [:] }
        return fields
    }

    static func virtualSize(_ inserted: [String: JSONValue]) -> Int64? {
        guard case .object(let image)? = inserted["image"], case .int(let size)? = image["virtual-size"] else { return nil }
        return size
    }

    @Test func anEmptyDiskAndAReadOnlyImageDiskAreQEMUDrivesWithTheirFlags() async throws {
        try await QEMUFixtures.withBackend { backend, guest, dir in
            // A raw 8 MiB catalog volume.
            let image = dir + "/seed.raw"
            _ = FileManager.default.createFile(atPath: image, contents: Data(repeating: 0x5a, count: 8 << 20))
            let id = QEMUFixtures.newId()
            let config = InstanceConfig(
                image: "flotilla-test-guest",
                disks: [
                    DiskSpec(id: "scratch", sizeBytes: 32 << 20),
                    DiskSpec(id: "seed", image: "seed-volume", sizeBytes: 16 << 20, readOnly: true),
                ])
            try await backend.create(
                QEMUFixtures.request(
                    id: id, guest: guest, config: config, diskImages: ["seed": DiskImage(path: image, format: "raw")]))
            let folder = dir + "/" + id
            #expect(FileManager.default.fileExists(atPath: folder + "/disk-scratch.qcow2"))
            #expect(FileManager.default.fileExists(atPath: folder + "/disk-seed.qcow2"))

            try await backend.start(id: id)
            let blocks = try await QMPClient.execute(socketPath: folder + "/qmp.sock", "query-block", timeout: .seconds(10))
            let scratch = Self.inserted(Self.drive("disk-scratch", in: blocks))
            let seed = Self.inserted(Self.drive("disk-seed", in: blocks))
            #expect(scratch["ro"] == .bool(false), "\(blocks)")
            #expect(Self.virtualSize(scratch) == 32 << 20)
            #expect(seed["ro"] == .bool(true), "\(blocks)")
            #expect(Self.virtualSize(seed) == 16 << 20, "the 8 MiB image's overlay grown to the disk's size")
            #expect(seed["backing_file"] == .string(image), "copy on write over the catalog file: \(seed)")
            // The root overlay and the seed come first; the disks follow in the spec's order.
            let arguments = try await backend.arguments(id: id)
            let order = arguments.filter { $0.hasPrefix("id=") }.map { $0.split(separator: ",")[0] }
            #expect(order == ["id=root", "id=disk-scratch", "id=disk-seed"])
            #expect(arguments.contains("virtio-blk-device,drive=disk-seed,serial=seed"))

            try await backend.delete(id: id, force: true)
            #expect(!FileManager.default.fileExists(atPath: folder))
            #expect(FileManager.default.fileExists(atPath: image), "the catalog file is not the instance's")
        }
    }

    @Test func aDiskWhoseImageFileIsMissingOrWithoutSourceIsRefusedAtCreate() async throws {
        try await QEMUFixtures.withBackend { backend, guest, dir in
            let missing = QEMUFixtures.request(
                id: QEMUFixtures.newId(), guest: guest,
                config: InstanceConfig(image: "flotilla-test-guest", disks: [DiskSpec(id: "data", image: "vol")]),
                diskImages: ["data": DiskImage(path: dir + "/nowhere.qcow2", format: "qcow2")])
            await #expect(
                throws: BackendError.invalidRequest("disk data: the disk of image vol is missing: \(dir)/nowhere.qcow2")
            ) { try await backend.create(missing) }
            let empty = QEMUFixtures.request(
                id: QEMUFixtures.newId(), guest: guest, config: InstanceConfig(image: "flotilla-test-guest", disks: [DiskSpec(id: "data")]))
            await #expect(throws: BackendError.invalidRequest("disk data needs an image or a size greater than 0")) {
                try await backend.create(empty)
            }
            let listed = try await backend.list()
            #expect(listed.isEmpty)
            let left = try FileManager.default.contentsOfDirectory(atPath: dir).filter { !$0.hasPrefix("host-token") }
            #expect(left.isEmpty)
        }
    }
}
