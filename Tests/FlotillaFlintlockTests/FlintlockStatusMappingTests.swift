import FlotillaCluster
import FlotillaCore
import FlotillaFlintlock
import Foundation
import Testing

/// `MicroVMStatus` beside the state: mounts of the catalog's kernel and initrd, volumes, network devices; and
/// the allocated addresses shown in the spec.
@Suite("Flintlock status: mounts, volumes and interfaces")
struct FlintlockStatusMappingTests {
    typealias F = FlintlockCatalogFixture
    static let instanceId = "0b9f2a3c-8a6e-4f0e-9b1a-2c3d4e5f6a7b"

    /// The instance a request makes, as the create transaction records it: `allocate` fills the interfaces.
    static func recorded(_ request: CreateMicroVMRequest, allocate: ([NetworkInterface]) -> [NetworkInterface] = { $0 }) throws
        -> Instance
    {
        let create = try F.make(request)
        var spec = create.spec
        spec.config.networks = spec.config.networks.map(allocate)
        return Instance(id: instanceId, name: create.name, kind: .vm, backend: create.backend, spec: spec, createdAt: Date())
    }

    @Test func separateEntriesVolumesAndInterfaces() throws {
        let instance = try Self.recorded(
            F.request {
                $0.initrd.image = "initrd-1"
                $0.rootVolume.id = "root"
                $0.rootVolume.source.containerSource = "ubuntu-root"
                $0.additionalVolumes = [F.volume("data", image: "data-vol", readOnly: true), F.volume("scratch", sizeMB: 64)]
                $0.interfaces = [F.interface("eth0", address: "10.0.0.5/24"), F.interface("eth1", .macvtap, bridge: "br-back")]
            },
            allocate: { interfaces in
                var filled = interfaces
                filled[0].mac = "02:11:0a:00:00:05"
                filled[1].address = IPv4Address("10.1.0.2")
                filled[1].mac = "02:22:0a:01:00:02"
                return filled
            })
        let vm = FlintlockMapping.microVM(instance, images: F.images, networks: F.networks)
        #expect(vm.status.kernelMount.type == .hostpath)
        #expect(vm.status.kernelMount.source == "/cat/kernels/vmlinux-5.10")
        #expect(vm.status.initrdMount.source == "/cat/initrds/initrd-1.img")
        #expect(
            vm.status.volumes.mapValues(\.mount.source) == [
                "root": "/cat/disks/ubuntu.qcow2", "data": "/cat/disks/data.raw", "scratch": "empty:\(64 << 20)",
            ])
        #expect(vm.status.volumes.values.allSatisfy { $0.mount.type == .hostpath })
        let eth0 = try #require(vm.status.networkInterfaces["eth0"])
        #expect(eth0.hostDeviceName == NetworkInterface.hostDeviceName(instanceId: Self.instanceId, index: 0))
        #expect(eth0.hostDeviceName == "fl0b9f2a3c8a0")
        #expect(eth0.index == 0)
        #expect(eth0.macAddress == "02:11:0a:00:00:05")
        let eth1 = try #require(vm.status.networkInterfaces["eth1"])
        #expect(eth1.index == 1)
        #expect(eth1.hostDeviceName == "fl0b9f2a3c8a1")
        #expect(eth1.macAddress == "02:22:0a:01:00:02")
        // The spec shows what the client asked for, plus what was allocated.
        #expect(vm.spec.interfaces[0].address.address == "10.0.0.5/24")
        #expect(vm.spec.interfaces[0].guestMac == "02:11:0a:00:00:05")
        #expect(vm.spec.interfaces[1].address.address == "10.1.0.2/16")
        #expect(vm.spec.interfaces[1].overrides.bridgeName == "br-back")
        #expect(vm.spec.additionalVolumes.map(\.id) == ["data", "scratch"])
    }

    @Test func bundleShowsItsOwnPaths() throws {
        let instance = try Self.recorded(
            F.request {
                $0.kernel.image = "bundle"
                $0.rootVolume.id = "rootfs"
            })
        let vm = FlintlockMapping.microVM(instance, images: F.images, networks: F.networks)
        #expect(vm.status.kernelMount.source == "/cat/b/bzImage")
        #expect(vm.status.initrdMount.source == "/cat/b/initrd")
        #expect(vm.status.volumes.mapValues(\.mount.source) == ["rootfs": "/cat/b/root.qcow2"])
        #expect(vm.status.networkInterfaces.isEmpty)
    }

    @Test func withoutTheCatalogTheStatusHasNoMounts() throws {
        let instance = try Self.recorded(F.request { $0.additionalVolumes = [F.volume("v", image: "data-vol")] })
        let vm = FlintlockMapping.microVM(instance)
        #expect(!vm.status.hasKernelMount)
        #expect(vm.status.volumes.isEmpty)
    }
}
