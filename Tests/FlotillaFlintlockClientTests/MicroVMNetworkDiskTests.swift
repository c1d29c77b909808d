import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaTestSupport
import Foundation
import GRPCCore
import Testing

/// A MicroVM as upstream's examples make one, through this target's client: a kernel entry and a separate root
/// volume entry, one TAP interface with a static address, one additional volume (sim provider).
@Suite("Flintlock MicroVMs with networks and volumes")
struct MicroVMNetworkDiskTests {
    // Literals that parse (a typo fails every test that uses them at once).
    // swift-format-ignore: NeverForceUnwrap
    static let network = NetworkDefinition(name: "vmnet", cidr: IPv4Network("10.77.0.0/24")!, nameservers: [IPv4Address("10.77.0.53")!])
    static let images = [
        image("fl-kernel", ImageArtifacts(kernelPath: "/srv/catalog/vmlinux")),
        image("fl-root", ImageArtifacts(rootDiskPath: "/srv/catalog/ubuntu.qcow2", rootDiskFormat: "qcow2")),
        image("fl-data", ImageArtifacts(rootDiskPath: "/srv/catalog/data.raw", rootDiskFormat: "raw")),
    ]

    static func image(_ id: String, _ artifacts: ImageArtifacts) -> Image {
        Image(id: id, name: id, osDistro: "linux", osVersion: "", createdAt: Date(), artifacts: artifacts)
    }

    /// Writes the catalog entries and the network into the host's store and waits until its registry holds them.
    static func seed(_ f: FlintlockFixture) async throws {
        let store = f.host.host.store
        for image in images { _ = try await store.put(StoreKeys.image(image.id), value: try StoreCodec.encode(image)) }
        _ = try await store.put(StoreKeys.network(network.name), value: try StoreCodec.encode(network))
        try await eventuallyValue("the catalog entries and the network", timeout: .seconds(10)) {
            f.host.host.registry.read { s in s.networks["vmnet"] != nil && images.allSatisfy { s.images[$0.id] != nil } } ? true : nil
        }
    }

    static func createRequest() -> Microvm_Services_Api_V1alpha1_CreateMicroVMRequest {
        var spec = Flintlock_Types_MicroVMSpec()
        spec.id = "web-1"
        spec.namespace = "net"
        spec.provider = "sim"
        spec.kernel.image = "fl-kernel"
        spec.kernel.filename = "vmlinux"
        spec.kernel.cmdline = ["console": "ttyS0", "quiet": ""]
        spec.rootVolume.id = "root"
        spec.rootVolume.source.containerSource = "fl-root"
        var data = Flintlock_Types_Volume()
        data.id = "data"
        data.isReadOnly = true
        data.mountPoint = "/mnt/data"
        data.source.containerSource = "fl-data"
        spec.additionalVolumes = [data]
        var eth0 = Flintlock_Types_NetworkInterface()
        eth0.deviceID = "eth0"
        eth0.type = .tap
        eth0.guestMac = "02:00:0a:4d:00:05"
        eth0.address.address = "10.77.0.5/24"
        eth0.address.gateway = "10.77.0.1"
        eth0.address.nameservers = ["10.77.0.53"]
        spec.interfaces = [eth0]
        var request = Microvm_Services_Api_V1alpha1_CreateMicroVMRequest()
        request.microvm = spec
        return request
    }

    @Test("create with separate kernel and root entries, a TAP interface and a volume; the status reports them; name \"\" lists")
    func createAndStatus() async throws {
        try await FlintlockFixture.with(simLatency: .zero) { f in
            try await Self.seed(f)
            let created = try await f.client.createMicroVM(Self.createRequest(), metadata: f.admin).microvm
            let uid = created.spec.uid
            let instanceId = try #require(
                f.host.host.registry.read { s in s.liveInstances.first { $0.spec.metadata["flintlock.uid"] == uid }?.id })
            let config = try #require(f.host.host.registry.read { $0.instances[instanceId]?.value.spec.config })
            #expect(config.image == "fl-kernel")
            #expect(config.rootImage == "fl-root")
            #expect(config.kernelArguments == "console=ttyS0 quiet")
            #expect(config.disks == [DiskSpec(id: "data", image: "fl-data", readOnly: true)])
            #expect(config.networks?.first?.network == "vmnet")
            #expect(config.networks?.first?.address == IPv4Address("10.77.0.5"))

            var get = Microvm_Services_Api_V1alpha1_GetMicroVMRequest()
            get.uid = uid
            let vm = try await f.client.getMicroVM(get, metadata: f.admin).microvm
            #expect(vm.status.kernelMount.type == .hostpath)
            #expect(vm.status.kernelMount.source == "/srv/catalog/vmlinux")
            #expect(!vm.status.hasInitrdMount, "the kernel entry holds no initrd")
            #expect(vm.status.volumes.mapValues(\.mount.source) == ["root": "/srv/catalog/ubuntu.qcow2", "data": "/srv/catalog/data.raw"])
            let eth0 = try #require(vm.status.networkInterfaces["eth0"])
            #expect(eth0.hostDeviceName == NetworkInterface.hostDeviceName(instanceId: instanceId, index: 0))
            #expect(eth0.index == 0)
            #expect(eth0.macAddress == "02:00:0a:4d:00:05")
            #expect(vm.spec.interfaces.first?.address.address == "10.77.0.5/24")
            #expect(vm.spec.additionalVolumes.first?.mountPoint == "/mnt/data", "the spec is shown as sent")

            var list = Microvm_Services_Api_V1alpha1_ListMicroVMsRequest()
            list.namespace = "net"
            list.name = ""
            #expect(try await f.client.listMicroVMs(list, metadata: f.admin).microvm.map(\.spec.uid) == [uid], "name \"\" is no filter")
            let streamed = try await f.client.listMicroVMsStream(list, metadata: f.admin) { response in
                var uids: [String] = []
                for try await message in response.messages { uids.append(message.microvm.spec.uid) }
                return uids
            }
            #expect(streamed == [uid])
            list.name = "other"
            #expect(try await f.client.listMicroVMs(list, metadata: f.admin).microvm.isEmpty)
        }
    }

    @Test("refusals name what is wrong: an address in no network, a filename the entry does not hold, a VirtioFS volume")
    func refusals() async throws {
        try await FlintlockFixture.with(simLatency: .zero) { f in
            try await Self.seed(f)
            var outside = Self.createRequest()
            outside.microvm.interfaces[0].address.address = "192.168.9.5/24"
            var filename = Self.createRequest()
            filename.microvm.kernel.filename = "bzImage"
            var virtiofs = Self.createRequest()
            virtiofs.microvm.additionalVolumes[0].source.virtiofsSource = "/srv/share"
            for (name, request, says) in [
                ("outside", outside, "is in no network"), ("filename", filename, "holds the kernel vmlinux"),
                ("virtiofs", virtiofs, "virtiofs_source is not supported"),
            ] {
                do {
                    _ = try await f.client.createMicroVM(request, metadata: f.admin)
                    Issue.record("\(name) was accepted")
                } catch let error as RPCError {
                    #expect(error.code == .invalidArgument, "\(name)")
                    #expect(error.message.contains(says), "\(name): \(error.message)")
                }
            }
        }
    }
}
