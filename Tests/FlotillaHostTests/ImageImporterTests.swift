import FlotillaCore
import FlotillaHost
import FlotillaTestSupport
import Foundation
import Testing

/// The catalog's separate kvm entries (docs/decisions/0026-vm-disks.md): a kernel, an initrd or a disk alone, or
/// a bundle; the bad combinations refused; a disk's format read from its header.
@Suite("Image importer: separate kernel, initrd and disk entries")
struct ImageImporterTests {
    @Test("kernel-only, initrd-only, disk-only and bundled entries are stored with what they hold")
    func separateEntries() async throws {
        try await Self.withImporter { importer, dir in
            let kernel = try await importer.importImage(.init(id: "k", kernelPath: dir + "/vmlinuz"))
            #expect(kernel.artifacts.kinds == ["kernel"])
            #expect(kernel.artifacts.missing(for: .kvm) == nil)
            let initrd = try await importer.importImage(.init(id: "i", initrdPath: dir + "/initrd"))
            #expect(initrd.artifacts.kinds == ["initrd"])
            #expect(initrd.artifacts.missing(for: .kvm) == "a kernel", "an initrd alone does not boot")
            let raw = try await importer.importImage(.init(id: "raw", rootDiskPath: dir + "/raw.img"))
            #expect(raw.artifacts.kinds == ["disk"])
            #expect(raw.artifacts.diskImage == DiskImage(path: dir + "/raw.img", format: "raw"), "format read from the file")
            let qcow = try await importer.importImage(.init(id: "qcow", rootDiskPath: dir + "/disk.qcow2"))
            #expect(qcow.artifacts.rootDiskFormat == "qcow2")
            let given = try await importer.importImage(.init(id: "given", rootDiskPath: dir + "/raw.img", rootDiskFormat: "qcow2"))
            #expect(given.artifacts.rootDiskFormat == "qcow2", "a given format is kept")
            let bundle = try await importer.importImage(
                .init(id: "bundle", kernelPath: dir + "/vmlinuz", initrdPath: dir + "/initrd", rootDiskPath: dir + "/raw.img"))
            #expect(bundle.artifacts.kinds == ["kernel", "initrd", "disk"])
        }
    }

    @Test("bad combinations and unusable files are refused with the reason")
    func refusals() async throws {
        try await Self.withImporter { importer, dir in
            let cases: [(ImageImporter.Request, String, String)] = [
                (.init(id: "none"), "kernelPath", "needs a kernel, an initrd or a disk"),
                (.init(id: "two", initrdPath: dir + "/initrd", rootDiskPath: dir + "/raw.img"), "kernelPath", "one artifact"),
                (.init(id: "fmt", kernelPath: dir + "/vmlinuz", rootDiskFormat: "raw"), "rootDiskFormat", "needs a disk"),
                (.init(id: "vmdk", rootDiskPath: dir + "/raw.img", rootDiskFormat: "vmdk"), "rootDiskFormat", "raw or qcow2"),
                (.init(id: "probe", rootDiskPath: dir + "/disk.vmdk"), "rootDiskPath", "vmdk image"),
                (.init(id: "gone", rootDiskPath: dir + "/missing.img"), "rootDisk", "not found"),
            ]
            for (request, field, message) in cases {
                do {
                    try await importer.importImage(request)
                    Issue.record("\(request.id) was accepted")
                } catch let error as FlotillaError {
                    #expect(error.details["field"] == .string(field), "\(request.id): \(error)")
                    #expect(error.message.contains(message), "\(request.id): \(error.message)")
                }
            }
        }
    }

    @Test("the header probe: qcow2, qcow v1 refused, other formats named, anything else raw")
    func probe() throws {
        #expect(try ImageImporter.probeDiskFormat(header: [0x51, 0x46, 0x49, 0xfb, 0, 0, 0, 3], path: "a") == "qcow2")
        #expect(throws: ImageImporter.ProbeError.self) {
            try ImageImporter.probeDiskFormat(header: [0x51, 0x46, 0x49, 0xfb, 0, 0, 0, 1], path: "a")
        }
        for magic in ["KDMV", "<<< ", "vhdxfile", "conectix"] {
            #expect(throws: ImageImporter.ProbeError.self) { try ImageImporter.probeDiskFormat(header: Array(magic.utf8), path: "a") }
        }
        #expect(try ImageImporter.probeDiskFormat(header: [], path: "empty") == "raw")
        #expect(try ImageImporter.probeDiskFormat(header: Array(repeating: 0, count: 512), path: "zeros") == "raw")
    }

    /// An importer on a fresh SQLite store, and a folder with a kernel, an initrd, a raw, a qcow2 and a vmdk file.
    static func withImporter(_ body: (ImageImporter, String) async throws -> Void) async throws {
        let harness = SQLiteStoreHarness()
        let dir = KVMTestSupport.temporaryDirectory("imp")
        do {
            let store = try await harness.makeStore()
            let files: [String: [UInt8]] = [
                "vmlinuz": Array(repeating: 1, count: 64), "initrd": Array(repeating: 2, count: 32),
                "raw.img": Array(repeating: 0, count: 4096),
                "disk.qcow2": [0x51, 0x46, 0x49, 0xfb, 0, 0, 0, 3] + Array(repeating: 0, count: 504),
                "disk.vmdk": Array("KDMV".utf8) + Array(repeating: 0, count: 508),
            ]
            for (name, bytes) in files { try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + name)) }
            try await body(ImageImporter(store: store), dir)
        } catch {
            try? await harness.tearDown()
            try? FileManager.default.removeItem(atPath: dir)
            throw error
        }
        try await harness.tearDown()
        try? FileManager.default.removeItem(atPath: dir)
    }
}
