import FlotillaAPI
import FlotillaClient
import FlotillaTestSupport
import Foundation
import Testing

/// VM disks end to end (docs/decisions/0026-vm-disks.md): real QEMU under TCG, the kernel and the initrd as
/// separate catalog entries, an ext4 volume the test builds without mounting (`mkfs.ext4 -d`) imported as a
/// disk entry with `flotilla image import --disk` (its format read from the file), attached read-write and
/// read-only, and an empty disk. The guest's init prints what it finds (Tests/Fixtures/guest/init).
@Suite("VM disks on real QEMU", .serialized, .enabled(if: KVMTestSupport.enabled, KVMTestSupport.skipReason))
struct VMDiskProcessTests {
    @Test("an ext4 volume from the catalog is read by the guest, a read-only copy refuses a write, an empty disk shows up")
    func volumes() async throws {
        try KVMTestSupport.requireQEMU()
        let guest = try await GuestImageFixture.guest()
        try await FixtureStack.with { stack in
            let dir = await VMProcessSupport.dataFolder(stack, label: "disk")
            let token = "token-" + UUID().uuidString.lowercased()
            let volume = try await Self.ext4Image(in: dir, token: token)
            let original = try Data(contentsOf: URL(fileURLWithPath: volume))
            let host = try await stack.serve(dataDir: dir + "/data", extra: VMProcessSupport.kvmArguments, backends: "sim,kvm")

            for args in [
                ["guest-kernel", "--name", "Test guest kernel", "--kernel", guest.kernel],
                ["guest-initrd", "--name", "Test guest initrd", "--initrd", guest.initrd],
                ["data-volume", "--name", "Data volume", "--disk", volume],
            ] {
                let run = try await host.cli(["image", "import"] + args)
                #expect(run.status == 0, "image import \(args[0]): \(run.out)\(run.err)")
            }
            let shown = try await host.cli(["image", "get", "data-volume"])
            #expect(shown.out.contains("\(volume) (raw)"), "the format is read from the file: \(shown.out)")
            let bad = try await host.cli(["image", "import", "bad", "--name", "Bad", "--initrd", guest.initrd, "--disk", volume])
            #expect(bad.status != 0)
            #expect(bad.err.contains("one artifact"), "\(bad.err)")
            let list = try await host.cli(["image", "list"])
            for (id, holds) in [("guest-kernel", "kernel"), ("guest-initrd", "initrd"), ("data-volume", "disk")] {
                let row = list.out.split(separator: "\n").first { $0.hasPrefix(id + " ") }
                #expect(row?.split(separator: " ").contains(Substring(holds)) == true, "image list shows what \(id) holds: \(list.out)")
            }

            try await FlotillaClient.withClient(baseURL: host.url, apiKey: host.apiKey) { client in
                let config = Compute.Config(
                    image: "guest-kernel",
                    disks: [
                        .init(id: "data", image: "data-volume"), .init(id: "ro", image: "data-volume", readOnly: true),
                        .init(id: "scratch", sizeBytes: 8 << 20),
                    ],
                    kernelArguments: "flotilla.cat=data:token.txt flotilla.rotest=ro", initrdImage: "guest-initrd")
                let vm = try await client.createInstance(VMProcessSupport.request("disks", config: config), wait: true).instance
                let console = try await VMProcessSupport.waitForConsole(
                    client, id: vm.id, lines: ["FLOTILLA-FILE \(token)", "FLOTILLA-RO ro refused"])
                let disks = console.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("FLOTILLA-DISK ") }
                for serial in ["data", "ro", "scratch"] {
                    #expect(disks.contains { $0.hasPrefix("FLOTILLA-DISK \(serial) /dev/vd") }, "disk \(serial) is a device: \(disks)")
                }
                _ = try await client.deleteInstance(id: vm.id, force: true, wait: true)
            }
            #expect(
                try Data(contentsOf: URL(fileURLWithPath: volume)) == original,
                "the catalog's file is never written (each VM writes its own copy)")
        }
    }

    /// A 16 MiB ext4 image holding token.txt, made without mounting anything.
    static func ext4Image(in dir: String, token: String) async throws -> String {
        let content = dir + "/volume"
        try FileManager.default.createDirectory(atPath: content, withIntermediateDirectories: true)
        try Data(token.utf8).write(to: URL(fileURLWithPath: content + "/token.txt"))
        let image = dir + "/volume.img"
        _ = try await KVMTestSupport.run("/usr/sbin/mkfs.ext4", ["-q", "-F", "-d", content, image, "16M"], timeout: .seconds(60))
        return image
    }
}
