import FlotillaCore
import Foundation
import Testing

@Suite("VM network core") struct NetworkCoreTests {
    // The tests pass literal addresses.
    // swift-format-ignore: NeverForceUnwrap
    static func ip(_ text: String) -> IPv4Address { IPv4Address(text)! }

    @Test(arguments: [
        ("10.77.0.1", UInt32(0x0A4D_0001)), ("0.0.0.0", 0), ("255.255.255.255", UInt32.max), ("192.168.1.20", 0xC0A8_0114),
    ])
    func addressRoundTrip(_ text: String, _ value: UInt32) {
        #expect(IPv4Address(text)?.value == value)
        #expect(IPv4Address(value).description == text)
    }

    @Test(arguments: [
        "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.-1", " 1.2.3.4", "1.2.3.4 ", "a.b.c.d", "1..2.3", "1.2.3.0004", "+1.2.3.4",
    ])
    func badAddresses(_ text: String) {
        #expect(IPv4Address(text) == nil)
    }

    @Test(arguments: [
        ("10.77.0.0/24", "10.77.0.1", "10.77.0.254", "10.77.0.255"),
        ("10.0.0.0/30", "10.0.0.1", "10.0.0.2", "10.0.0.3"),
        ("192.168.0.0/16", "192.168.0.1", "192.168.255.254", "192.168.255.255"),
    ])
    func networkRanges(_ cidr: String, _ first: String, _ last: String, _ broadcast: String) throws {
        let network = try #require(IPv4Network(cidr))
        #expect(network.description == cidr)
        #expect(IPv4Address(network.hosts.lowerBound).description == first)
        #expect(IPv4Address(network.hosts.upperBound).description == last)
        #expect(network.broadcast.description == broadcast)
        #expect(network.contains(Self.ip(first)) && !network.contains(IPv4Address(network.broadcast.value &+ 1)))
    }

    @Test(arguments: ["10.77.0.1/24", "10.77.0.0", "10.77.0.0/33", "10.77.0.0/", "10.77.0.0/2a", "/24", "10.77.0.0/024"])
    func badNetworks(_ text: String) {
        #expect(IPv4Network(text) == nil)
    }

    @Test func definitionDefaults() throws {
        let network = try NetworkDefinition.parse("vmnet=10.77.0.0/24")
        #expect(network.gateway == Self.ip("10.77.0.1"))
        #expect(network.bridge == "fl-vmnet" && network.managed)
        #expect(network.nameservers.isEmpty)
        let existing = try NetworkDefinition.parse("lan=192.168.5.0/24,gateway=192.168.5.254,bridge=br0,dns=1.1.1.1+9.9.9.9")
        #expect(existing.gateway == Self.ip("192.168.5.254") && existing.bridge == "br0" && !existing.managed)
        #expect(existing.nameservers == [Self.ip("1.1.1.1"), Self.ip("9.9.9.9")])
        // A definition survives the store.
        let decoded = try JSONDecoder().decode(NetworkDefinition.self, from: JSONEncoder().encode(existing))
        #expect(decoded == existing)
    }

    @Test(arguments: [
        ("vmnet", "NAME=CIDR"),
        ("vmnet=10.77.0.1/24", "not an IPv4 CIDR"),
        ("VMNET=10.77.0.0/24", "lowercase"),
        ("averyveryverylongname=10.77.0.0/24", "lowercase"),
        ("vmnet=10.77.0.0/31", "too small"),
        ("vmnet=10.77.0.0/24,gateway=10.78.0.1", "not a host address"),
        ("vmnet=10.77.0.0/24,gateway=10.77.0.255", "not a host address"),
        ("vmnet=10.77.0.0/24,bridge=a/b", "not a valid interface name"),
        ("vmnet=10.77.0.0/24,dns=1.1.1", "nameserver"),
        ("vmnet=10.77.0.0/24,mtu=9000", "unknown setting"),
        ("vmnet=10.77.0.0/24,gateway", "NAME=CIDR"),
    ])
    func badDefinitions(_ text: String, _ expected: String) {
        #expect {
            _ = try NetworkDefinition.parse(text)
        } throws: { error in
            "\(error)".contains(expected)
        }
    }

    // Literals that parse (a typo fails every test that uses them at once).
    // swift-format-ignore: NeverForceUnwrap
    static let vmnet = NetworkDefinition(name: "vmnet", cidr: IPv4Network("10.77.0.0/29")!)
    static let networks = ["vmnet": vmnet]

    @Test func allocatesLowestFreeSkippingGateway() throws {
        let taken: [String: Set<IPv4Address>] = ["vmnet": [Self.ip("10.77.0.2"), Self.ip("10.77.0.4")]]
        let result = try AddressAllocator.allocate([NetworkInterface(network: "vmnet")], networks: Self.networks, taken: taken).get()
        #expect(result.first?.address == Self.ip("10.77.0.3"))
        #expect(result.first?.mac == NetworkInterface.derivedMAC(network: "vmnet", address: Self.ip("10.77.0.3")))
    }

    @Test func keepsAFixedAddressAndAGivenMAC() throws {
        let asked = NetworkInterface(network: "vmnet", address: Self.ip("10.77.0.6"), mac: "52:54:00:AB:CD:EF")
        let result = try AddressAllocator.allocate([asked], networks: Self.networks, taken: [:]).get()
        #expect(result == [NetworkInterface(network: "vmnet", address: Self.ip("10.77.0.6"), mac: "52:54:00:ab:cd:ef")])
    }

    @Test(arguments: [
        (NetworkInterface(network: "other"), AddressAllocator.Refusal.unknownNetwork("other")),
        (
            NetworkInterface(network: "vmnet", address: ip("10.77.1.2")),
            .outsideRange(network: "vmnet", address: ip("10.77.1.2"), cidr: vmnet.cidr)
        ),
        (NetworkInterface(network: "vmnet", address: ip("10.77.0.1")), .reserved(network: "vmnet", address: ip("10.77.0.1"))),
        (NetworkInterface(network: "vmnet", address: ip("10.77.0.0")), .reserved(network: "vmnet", address: ip("10.77.0.0"))),
        (NetworkInterface(network: "vmnet", address: ip("10.77.0.7")), .reserved(network: "vmnet", address: ip("10.77.0.7"))),
        (NetworkInterface(network: "vmnet", address: ip("10.77.0.5")), .inUse(network: "vmnet", address: ip("10.77.0.5"))),
        (NetworkInterface(network: "vmnet", mac: "01:00:00:00:00:01"), .badMAC("01:00:00:00:00:01")),
        (NetworkInterface(network: "vmnet", mac: "52:54:00:00:00"), .badMAC("52:54:00:00:00")),
    ])
    func refusals(_ interface: NetworkInterface, _ expected: AddressAllocator.Refusal) {
        let taken: [String: Set<IPv4Address>] = ["vmnet": [Self.ip("10.77.0.5")]]
        #expect(AddressAllocator.allocate([interface], networks: Self.networks, taken: taken) == .failure(expected))
        #expect(!expected.message.isEmpty)
    }

    @Test func exhaustedAndDuplicate() {
        // A /29 holds six host addresses, one of them the gateway: five guests.
        let all = Set((2...6).map { Self.ip("10.77.0.\($0)") })
        #expect(
            AddressAllocator.allocate([NetworkInterface(network: "vmnet")], networks: Self.networks, taken: ["vmnet": all])
                == .failure(.exhausted(network: "vmnet", cidr: Self.vmnet.cidr)))
        #expect(AddressAllocator.Refusal.exhausted(network: "vmnet", cidr: Self.vmnet.cidr).isConflict)
        let twice = [NetworkInterface(network: "vmnet"), NetworkInterface(network: "vmnet")]
        #expect(AddressAllocator.allocate(twice, networks: Self.networks, taken: [:]) == .failure(.duplicateNetwork("vmnet")))
    }

    @Test func derivedMACsDifferByNetworkAndAddress() {
        let a = NetworkInterface.derivedMAC(network: "vmnet", address: Self.ip("10.77.0.2"))
        #expect(NetworkInterface.isValidMAC(a) && a.hasPrefix("02:") && a.hasSuffix(":0a:4d:00:02"))
        #expect(a != NetworkInterface.derivedMAC(network: "vmnet", address: Self.ip("10.77.0.3")))
        #expect(a != NetworkInterface.derivedMAC(network: "lan", address: Self.ip("10.77.0.2")))
    }

    @Test func hostDeviceNamesAreOwnedAndShort() throws {
        let id = "3f2a9c1e-7b44-4d1a-9e0f-1234567890ab"
        let name = NetworkInterface.hostDeviceName(instanceId: id, index: 1)
        #expect(name == "fl3f2a9c1e7b1" && name.utf8.count <= 15)
        let owner = try #require(NetworkInterface.owner(ofHostDevice: name))
        #expect(owner.idPrefix == "3f2a9c1e7b" && owner.index == 1)
        #expect(NetworkInterface.owner(ofHostDevice: "fl-vmnet") == nil)
        #expect(NetworkInterface.owner(ofHostDevice: "eth0") == nil)
        #expect(NetworkInterface.owner(ofHostDevice: "flzz") == nil)
    }

    @Test func addressesAreReleasedWithTheName() throws {
        var instance = Instance(
            id: "i1", name: "web", kind: .vm, backend: .kvm,
            spec: InstanceSpec(
                config: InstanceConfig(image: "img", networks: [NetworkInterface(network: "vmnet", address: Self.ip("10.77.0.2"))])),
            createdAt: Date(timeIntervalSince1970: 0))
        let old = instance
        instance.state = .deleted
        let ops = try InstanceTransitions.writeOps(old: old, new: instance)
        #expect(ops.contains(.delete(key: StoreKeys.address(network: "vmnet", Self.ip("10.77.0.2")))))
        #expect(ops.contains(.delete(key: StoreKeys.name("web"))))
        // Still live: nothing released.
        #expect(try InstanceTransitions.writeOps(old: old, new: old).count == 1)
    }

    @Test func registryKnowsNetworksAndAddressesInUse() throws {
        var log = StoreLog()
        var state = RegistryState()
        let network = try NetworkDefinition.parse("vmnet=10.77.0.0/24")
        let spec = InstanceSpec(
            config: InstanceConfig(image: "img", networks: [NetworkInterface(network: "vmnet", address: Self.ip("10.77.0.9"))]))
        var instance = Instance(id: "i1", name: "web", kind: .vm, backend: .kvm, spec: spec, createdAt: Date(timeIntervalSince1970: 0))
        for event in [try log.put(StoreKeys.network("vmnet"), network), try log.put(StoreKeys.instance("i1"), instance)] {
            _ = RegistryReducer.apply(WatchBatch(events: [event]), to: &state)
        }
        #expect(state.networks == ["vmnet": network])
        #expect(state.addressesInUse == ["vmnet": [Self.ip("10.77.0.9")]])
        instance.state = .deleted
        _ = RegistryReducer.apply(WatchBatch(events: [try log.put(StoreKeys.instance("i1"), instance)]), to: &state)
        #expect(state.addressesInUse.isEmpty)
    }

    @Test func catalogResolutionMergesSeparateEntries() throws {
        let images = [
            "k": Image(id: "k", name: "k", osDistro: "d", osVersion: "1", createdAt: Date(), artifacts: ImageArtifacts(kernelPath: "/k")),
            "i": Image(id: "i", name: "i", osDistro: "d", osVersion: "1", createdAt: Date(), artifacts: ImageArtifacts(initrdPath: "/i")),
            "r": Image(
                id: "r", name: "r", osDistro: "d", osVersion: "1", createdAt: Date(),
                artifacts: ImageArtifacts(rootDiskPath: "/r.raw", rootDiskFormat: "raw")),
        ]
        var config = InstanceConfig(image: "k", initrdImage: "i", rootImage: "r")
        config.disks = [DiskSpec(id: "data", image: "r", readOnly: true), DiskSpec(id: "scratch", sizeBytes: 1 << 20)]
        let artifacts = try #require(try ImageArtifacts.resolve(config, images: images))
        #expect(artifacts == ImageArtifacts(kernelPath: "/k", initrdPath: "/i", rootDiskPath: "/r.raw", rootDiskFormat: "raw"))
        #expect(try ImageArtifacts.diskImages(config, images: images) == ["data": DiskImage(path: "/r.raw", format: "raw")])
        #expect(images["k"]?.artifacts.kinds == ["kernel"] && artifacts.kinds == ["kernel", "initrd", "disk"])
        // A bundle alone resolves to itself; a path that is not in the catalog resolves to nothing.
        #expect(try ImageArtifacts.resolve(InstanceConfig(image: "k"), images: images) == ImageArtifacts(kernelPath: "/k"))
        #expect(try ImageArtifacts.resolve(InstanceConfig(image: "/boot/vmlinuz"), images: images) == nil)
        #expect(throws: ImageResolutionError.lacks(field: "initrdImage", image: "k", artifact: "an initrd")) {
            try ImageArtifacts.resolve(InstanceConfig(image: "k", initrdImage: "k"), images: images)
        }
        #expect(throws: ImageResolutionError.notInCatalog(field: "rootImage", image: "nope")) {
            try ImageArtifacts.resolve(InstanceConfig(image: "k", rootImage: "nope"), images: images)
        }
        config.disks = [DiskSpec(id: "d", image: "i")]
        #expect(throws: ImageResolutionError.lacks(field: "disks[d].image", image: "i", artifact: "a disk")) {
            try ImageArtifacts.diskImages(config, images: images)
        }
    }
}
