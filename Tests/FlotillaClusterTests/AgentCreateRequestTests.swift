import FlotillaCore
import Foundation
import Testing

@testable import FlotillaCluster

/// What the agent's create step hands the backend (docs/decisions/0025-vm-networks.md, 0026-vm-disks.md): the
/// artifacts of the image with the separate initrd and root images merged in, the disks' catalog images and the
/// networks of the interfaces; a reference that no longer resolves is a failed step with the reason.
@Suite struct AgentCreateRequestTests {
    static let now = Date(timeIntervalSince1970: 1_700_000_000)

    static func image(_ id: String, _ artifacts: ImageArtifacts) -> Image {
        Image(id: id, name: id, osDistro: "debian", osVersion: "12", createdAt: now, artifacts: artifacts)
    }

    static var state: RegistryState {
        var state = RegistryState()
        for image in [
            image("kernel", ImageArtifacts(kernelPath: "/img/vmlinuz", initrdPath: "/img/own-initrd")),
            image("initrd", ImageArtifacts(initrdPath: "/img/initrd.gz")),
            image("root", ImageArtifacts(rootDiskPath: "/img/root.raw", rootDiskFormat: "raw")),
            image("vol", ImageArtifacts(rootDiskPath: "/img/vol.qcow2")),
        ] {
            state.images[image.id] = image
        }
        // Literal definitions that parse; the fixture is not a throwing context.
        // swift-format-ignore: NeverUseForceTry
        state.networks["vmnet"] = try! NetworkDefinition.parse("vmnet=10.77.0.0/24")
        // Literal definitions that parse; the fixture is not a throwing context.
        // swift-format-ignore: NeverUseForceTry
        state.networks["other"] = try! NetworkDefinition.parse("other=10.88.0.0/24")
        return state
    }

    static func instance(_ config: InstanceConfig) -> Instance {
        Instance(id: "0123456789abcdef", name: "vm", kind: .vm, backend: .kvm, spec: InstanceSpec(config: config), createdAt: now)
    }

    @Test func resolvesArtifactsDisksAndNetworks() throws {
        let config = InstanceConfig(
            image: "kernel", initrdImage: "initrd", rootImage: "root",
            disks: [DiskSpec(id: "data", image: "vol", readOnly: true), DiskSpec(id: "empty", sizeBytes: 1 << 20)],
            networks: [NetworkInterface(network: "vmnet", address: IPv4Address("10.77.0.5"))])
        let request = try Agent.createRequest(Self.instance(config), Self.state)
        #expect(
            request.artifacts
                == ImageArtifacts(
                    kernelPath: "/img/vmlinuz", initrdPath: "/img/initrd.gz", rootDiskPath: "/img/root.raw", rootDiskFormat: "raw"))
        #expect(request.diskImages == ["data": DiskImage(path: "/img/vol.qcow2", format: "qcow2")])
        #expect(request.networks == ["vmnet": Self.state.networks["vmnet"]!], "only the networks the interfaces are on")
        #expect(request.spec == Self.instance(config).spec)
    }

    @Test func plainImageKeepsItsOwnArtifacts() throws {
        let request = try Agent.createRequest(Self.instance(InstanceConfig(image: "kernel")), Self.state)
        #expect(request.artifacts == ImageArtifacts(kernelPath: "/img/vmlinuz", initrdPath: "/img/own-initrd"))
        #expect(request.networks.isEmpty && request.diskImages.isEmpty)
        #expect(try Agent.createRequest(Self.instance(InstanceConfig(image: "/boot/vmlinuz")), Self.state).artifacts == nil)
    }

    @Test(arguments: [
        (InstanceConfig(image: "kernel", rootImage: "gone"), "config.rootImage: image gone is not in the image catalog"),
        (InstanceConfig(image: "kernel", initrdImage: "root"), "config.initrdImage: image root does not hold an initrd"),
        (InstanceConfig(image: "kernel", disks: [DiskSpec(id: "d", image: "gone")]), "config.disks[d].image: image gone"),
        (InstanceConfig(image: "kernel", networks: [NetworkInterface(network: "removed")]), "network removed is not defined"),
    ])
    func unresolvableIsAFailedStep(_ config: InstanceConfig, _ says: String) {
        #expect {
            _ = try Agent.createRequest(Self.instance(config), Self.state)
        } throws: { error in
            guard case BackendError.invalidRequest(let message) = error else { return false }
            return message.contains(says)
        }
    }
}
