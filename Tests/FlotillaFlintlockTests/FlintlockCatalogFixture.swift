import FlotillaCluster
import FlotillaCore
import FlotillaFlintlock
import Foundation

/// A catalog of separate entries (kernel, initrd, root disk, volume disk), a bundle, and two networks, for the
/// create and status mapping tables.
enum FlintlockCatalogFixture {
    static let images: [String: Image] = Dictionary(
        uniqueKeysWithValues: [
            entry("kernel-5.10", ImageArtifacts(kernelPath: "/cat/kernels/vmlinux-5.10")),
            entry("initrd-1", ImageArtifacts(initrdPath: "/cat/initrds/initrd-1.img")),
            entry("ubuntu-root", ImageArtifacts(rootDiskPath: "/cat/disks/ubuntu.qcow2", rootDiskFormat: "qcow2")),
            entry("data-vol", ImageArtifacts(rootDiskPath: "/cat/disks/data.raw", rootDiskFormat: "raw")),
            entry(
                "bundle",
                ImageArtifacts(
                    dockerReference: "ghcr.io/acme/bundle:1", kernelPath: "/cat/b/bzImage", initrdPath: "/cat/b/initrd",
                    rootDiskPath: "/cat/b/root.qcow2")),
            entry("docker-only", ImageArtifacts(dockerReference: "debian:12")),
        ].map { ($0.id, $0) })

    static func entry(_ id: String, _ artifacts: ImageArtifacts) -> Image {
        Image(id: id, name: id, osDistro: "", osVersion: "", createdAt: Date(timeIntervalSince1970: 0), artifacts: artifacts)
    }

    // Literals that parse (a typo fails every test that uses them at once).
    // swift-format-ignore: NeverForceUnwrap
    static let vmnet = NetworkDefinition(
        name: "vmnet", cidr: IPv4Network("10.0.0.0/24")!, nameservers: [IPv4Address("10.0.0.53")!])
    // Literals that parse (a typo fails every test that uses them at once).
    // swift-format-ignore: NeverForceUnwrap
    static let backnet = NetworkDefinition(name: "backnet", cidr: IPv4Network("10.1.0.0/16")!, bridge: "br-back")
    static let networks = ["vmnet": vmnet, "backnet": backnet]

    static func lookup(_ ref: String) -> Image? {
        images[ref] ?? images.values.first { $0.artifacts.dockerReference == ref }
    }

    /// A request for `vm1` on kernel-5.10, edited.
    static func request(_ edit: (inout MicroVMSpec) -> Void = { _ in }) -> CreateMicroVMRequest {
        var spec = MicroVMSpec()
        spec.id = "vm1"
        spec.kernel.image = "kernel-5.10"
        edit(&spec)
        var r = CreateMicroVMRequest()
        r.microvm = spec
        return r
    }

    static func make(
        _ r: CreateMicroVMRequest, networks: [String: NetworkDefinition] = networks, provider: BackendKind = .kvm
    ) throws(FlotillaError) -> CreateInstance {
        try FlintlockCreate.instance(
            for: r, uid: "01ARYZ6S4K0000000000000000", defaultProvider: provider, networks: networks, image: lookup)
    }

    /// An interface as Flintlock sends it.
    static func interface(
        _ device: String, _ type: Flintlock_Types_NetworkInterface.IfaceType = .tap, address: String? = nil, gateway: String? = nil,
        nameservers: [String] = [], mac: String? = nil, bridge: String? = nil
    ) -> Flintlock_Types_NetworkInterface {
        var i = Flintlock_Types_NetworkInterface()
        i.deviceID = device
        i.type = type
        if let address { i.address.address = address }
        if let gateway { i.address.gateway = gateway }
        if !nameservers.isEmpty { i.address.nameservers = nameservers }
        if let mac { i.guestMac = mac }
        if let bridge { i.overrides.bridgeName = bridge }
        return i
    }

    static func volume(_ id: String, image: String? = nil, sizeMB: Int32? = nil, readOnly: Bool = false) -> Flintlock_Types_Volume {
        var v = Flintlock_Types_Volume()
        v.id = id
        v.isReadOnly = readOnly
        if let image { v.source.containerSource = image }
        if let sizeMB { v.sizeInMb = sizeMB }
        return v
    }
}
