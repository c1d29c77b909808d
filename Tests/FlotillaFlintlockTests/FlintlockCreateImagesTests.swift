import FlotillaCluster
import FlotillaCore
import FlotillaFlintlock
import Foundation
import SwiftProtobuf
import Testing

/// `kernel`, `initrd`, `root_volume`, `kernel.cmdline` and `additional_volumes` onto the instance's config.
@Suite("Flintlock create: images, command line and volumes")
struct FlintlockCreateImagesTests {
    typealias F = FlintlockCatalogFixture

    @Test func separateKernelInitrdAndRootEntries() throws {
        let c = try F.make(
            F.request {
                $0.initrd.image = "initrd-1"
                $0.rootVolume.id = "root"
                $0.rootVolume.source.containerSource = "ubuntu-root"
                $0.kernel.filename = "vmlinux-5.10"
                $0.initrd.filename = "initrd-1.img"
            })
        #expect(c.spec.config.image == "kernel-5.10")
        #expect(c.spec.config.initrdImage == "initrd-1")
        #expect(c.spec.config.rootImage == "ubuntu-root")
        let resolved = try ImageArtifacts.resolve(c.spec.config, images: F.images)
        #expect(resolved?.kernelPath == "/cat/kernels/vmlinux-5.10")
        #expect(resolved?.initrdPath == "/cat/initrds/initrd-1.img")
        #expect(resolved?.rootDiskPath == "/cat/disks/ubuntu.qcow2")
    }

    @Test func bundleNamedForEverythingNamesNoOtherEntry() throws {
        let c = try F.make(
            F.request {
                $0.kernel.image = "ghcr.io/acme/bundle:1"
                $0.initrd.image = "bundle"
                $0.rootVolume.source.containerSource = "bundle"
                $0.kernel.filename = "bzImage"
                $0.initrd.filename = "initrd"
            })
        #expect(c.spec.config.image == "bundle")
        #expect(c.spec.config.initrdImage == nil)
        #expect(c.spec.config.rootImage == nil)
        #expect(c.spec.config.disks == nil)
        #expect(c.spec.config.networks == nil)
        #expect(c.spec.config.kernelArguments == nil)
    }

    @Test(
        arguments: [
            ([:], nil),
            (["console": "ttyS0"], "console=ttyS0"),
            (["quiet": "", "console": "ttyS0", "ip": "dhcp"], "console=ttyS0 ip=dhcp quiet"),
            (["init": "/sbin/init", "opts": "a b"], "init=/sbin/init opts=\"a b\""),
        ] as [([String: String], String?)])
    func cmdline(_ cmdline: [String: String], expected: String?) throws {
        #expect(try F.make(F.request { $0.kernel.cmdline = cmdline }).spec.config.kernelArguments == expected)
    }

    @Test func volumesBecomeDisksInOrder() throws {
        let c = try F.make(
            F.request {
                $0.rootVolume.id = "root"
                $0.rootVolume.source.containerSource = "ubuntu-root"
                var data = F.volume("data", image: "data-vol", sizeMB: 2048, readOnly: true)
                data.mountPoint = "/mnt/data"
                $0.additionalVolumes = [data, F.volume("scratch", sizeMB: 512)]
            })
        #expect(
            c.spec.config.disks == [
                DiskSpec(id: "data", image: "data-vol", sizeBytes: 2048 << 20, readOnly: true),
                DiskSpec(id: "scratch", sizeBytes: 512 << 20),
            ])
        let stored = try MicroVMSpec(jsonString: try #require(c.spec.metadata[FlintlockMapping.Key.spec]))
        #expect(stored.additionalVolumes.first?.mountPoint == "/mnt/data", "mount_point is kept in the stored spec")
    }

    /// A refused request: the code and a part of the message a user reads to fix it.
    struct BadCase: Sendable, CustomTestStringConvertible {
        var name: String
        var code: FlotillaError.Code
        var says: String
        var edit: @Sendable (inout MicroVMSpec) -> Void
        var testDescription: String { name }
    }

    static let badCases: [BadCase] = [
        BadCase(name: "kernel filename not held", code: .validationError, says: "holds the kernel vmlinux-5.10") {
            $0.kernel.filename = "bzImage"
        },
        BadCase(name: "initrd filename, no initrd", code: .validationError, says: "holds no initrd") { $0.initrd.filename = "initrd.img" },
        BadCase(name: "initrd entry lacks an initrd", code: .imageArtifactMissing, says: "holds no initrd") {
            $0.initrd.image = "ubuntu-root"
        },
        BadCase(name: "root entry lacks a disk", code: .imageArtifactMissing, says: "holds no disk") {
            $0.rootVolume.source.containerSource = "initrd-1"
        },
        BadCase(name: "unknown root entry", code: .resourceNotFound, says: "not in the image catalog") {
            $0.rootVolume.source.containerSource = "nope"
        },
        BadCase(name: "virtiofs root", code: .validationError, says: "virtiofs_source is not supported") {
            $0.rootVolume.source.virtiofsSource = "/srv/share"
        },
        BadCase(name: "virtiofs volume", code: .validationError, says: "virtiofs_source is not supported") {
            var v = F.volume("share", sizeMB: 1)
            v.source.virtiofsSource = "/srv/share"
            $0.additionalVolumes = [v]
        },
        BadCase(name: "volume without source or size", code: .validationError, says: "needs source.container_source") {
            $0.additionalVolumes = [F.volume("v")]
        },
        BadCase(name: "volume of a kernel entry", code: .imageArtifactMissing, says: "holds no disk") {
            $0.additionalVolumes = [F.volume("v", image: "kernel-5.10")]
        },
        BadCase(name: "unknown volume image", code: .resourceNotFound, says: "additional_volumes[0].source.container_source") {
            $0.additionalVolumes = [F.volume("v", image: "nope")]
        },
        BadCase(name: "volume id twice", code: .validationError, says: "names another volume") {
            $0.additionalVolumes = [F.volume("v", sizeMB: 1), F.volume("v", sizeMB: 1)]
        },
        BadCase(name: "volume id of the root volume", code: .validationError, says: "names another volume") {
            $0.rootVolume.id = "root"
            $0.additionalVolumes = [F.volume("root", sizeMB: 1)]
        },
        BadCase(name: "bad volume id", code: .validationError, says: "must be 1-20 letters") {
            $0.additionalVolumes = [F.volume("a/b", sizeMB: 1)]
        },
        BadCase(name: "zero size", code: .validationError, says: "size_in_mb must be greater than 0") {
            $0.additionalVolumes = [F.volume("v", sizeMB: 0)]
        },
        BadCase(name: "17 volumes", code: .validationError, says: "at most 16") {
            $0.additionalVolumes = (0..<17).map { F.volume("v\($0)", sizeMB: 1) }
        },
        BadCase(name: "cmdline key with a space", code: .validationError, says: "printable ASCII without spaces") {
            $0.kernel.cmdline = ["a b": "c"]
        },
        BadCase(name: "cmdline value with a quote", code: .validationError, says: "without '\"'") { $0.kernel.cmdline = ["a": "\"x"] },
    ]

    @Test(arguments: badCases)
    func rejects(_ bad: BadCase) {
        do {
            _ = try F.make(F.request(bad.edit))
            Issue.record("\(bad.name) was accepted")
        } catch {
            #expect(error.code == bad.code, "\(bad.name): \(error.message)")
            #expect(error.message.contains(bad.says), "\(bad.name): \(error.message)")
        }
    }
}
