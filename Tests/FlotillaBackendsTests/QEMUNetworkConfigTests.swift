import FlotillaCore
import Foundation
import Testing

@testable import FlotillaBackends

/// The pure parts of a kvm VM's networks: cloud-init's network-config text, the devices a restarted backend
/// removes, and how a record's interfaces become QEMU's.
@Suite struct QEMUNetworkConfigTests {
    // Literals that parse (a typo fails every test that uses them at once).
    // swift-format-ignore: NeverForceUnwrap
    static let vmnet = NetworkDefinition(
        name: "vmnet", cidr: IPv4Network("10.77.0.0/24")!, nameservers: [IPv4Address("10.77.0.53")!, IPv4Address("9.9.9.9")!])
    // Literals that parse (a typo fails every test that uses them at once).
    // swift-format-ignore: NeverForceUnwrap
    static let lab = NetworkDefinition(name: "lab", cidr: IPv4Network("192.168.50.0/26")!, gateway: IPv4Address("192.168.50.62")!)
    static let networks = ["vmnet": vmnet, "lab": lab]

    struct YAMLRow: Sendable, CustomTestStringConvertible {
        var name: String
        var interfaces: [NetworkInterface]
        var yaml: String?
        var testDescription: String { name }
    }

    // Literals that parse (a typo fails every test that uses them at once).
    // swift-format-ignore: NeverForceUnwrap
    static let yamlRows: [YAMLRow] = [
        YAMLRow(name: "no interface, no network-config", interfaces: [], yaml: nil),
        YAMLRow(
            name: "one interface: address, default route, nameservers",
            interfaces: [NetworkInterface(network: "vmnet", address: IPv4Address("10.77.0.2")!, mac: "02:11:0a:4d:00:02")],
            yaml: """
                version: 2
                ethernets:
                  eth0:
                    match:
                      macaddress: "02:11:0a:4d:00:02"
                    set-name: eth0
                    addresses:
                      - 10.77.0.2/24
                    routes:
                      - to: default
                        via: 10.77.0.1
                    nameservers:
                      addresses:
                        - 10.77.0.53
                        - 9.9.9.9

                """),
        YAMLRow(
            name: "two interfaces: the default route on the first only; no nameservers when the network has none",
            interfaces: [
                NetworkInterface(network: "lab", address: IPv4Address("192.168.50.5")!, mac: "02:22:c0:a8:32:05"),
                NetworkInterface(network: "vmnet", address: IPv4Address("10.77.0.3")!, mac: "02:11:0a:4d:00:03", mode: .macvtap),
            ],
            yaml: """
                version: 2
                ethernets:
                  eth0:
                    match:
                      macaddress: "02:22:c0:a8:32:05"
                    set-name: eth0
                    addresses:
                      - 192.168.50.5/26
                    routes:
                      - to: default
                        via: 192.168.50.62
                  eth1:
                    match:
                      macaddress: "02:11:0a:4d:00:03"
                    set-name: eth1
                    addresses:
                      - 10.77.0.3/24
                    nameservers:
                      addresses:
                        - 10.77.0.53
                        - 9.9.9.9

                """),
        YAMLRow(
            name: "an interface without an address is only named",
            interfaces: [NetworkInterface(network: "lab", mac: "02:22:00:00:00:01")],
            yaml: """
                version: 2
                ethernets:
                  eth0:
                    match:
                      macaddress: "02:22:00:00:00:01"
                    set-name: eth0

                """),
    ]

    @Test(arguments: yamlRows)
    func networkConfig(_ row: YAMLRow) {
        #expect(CloudInitNetworkConfig.yaml(instanceId: "i-1", interfaces: row.interfaces, networks: Self.networks) == row.yaml)
    }

    @Test func aMissingMACIsDerivedFromTheAddress() throws {
        let address = IPv4Address("10.77.0.7")!
        let yaml = try #require(
            CloudInitNetworkConfig.yaml(
                instanceId: "i-1", interfaces: [NetworkInterface(network: "vmnet", address: address)], networks: Self.networks))
        #expect(yaml.contains("macaddress: \"\(NetworkInterface.derivedMAC(network: "vmnet", address: address))\""))
    }

    struct OrphanRow: Sendable, CustomTestStringConvertible {
        var name: String
        var links: [String]
        var running: [String]
        var orphans: [String]
        var testDescription: String { name }
    }

    static let a = "3f2a9c1b-77d0-4e2a-9d1c-0123456789ab"
    static let b = "b0c1d2e3-f405-4a6b-8c7d-8e9fa0b1c2d3"
    static func dev(_ id: String, _ index: Int) -> String { NetworkInterface.hostDeviceName(instanceId: id, index: index) }

    static let orphanRows: [OrphanRow] = [
        OrphanRow(name: "nothing of Flotilla's", links: ["lo", "eth0", "docker0"], running: [], orphans: []),
        OrphanRow(
            name: "devices of a running VM stay, those of others go", links: ["lo", dev(a, 0), dev(a, 1), dev(b, 0)], running: [a],
            orphans: [dev(b, 0)]),
        OrphanRow(
            name: "no VM running: every device goes", links: [dev(a, 0), "eth0", dev(b, 2)], running: [], orphans: [dev(a, 0), dev(b, 2)]),
        OrphanRow(
            name: "bridges (fl-NAME) and other fl names are not devices of instances",
            links: ["fl-vmnet", "fl-lab", "flannel.1", "fl0", "flzzzzzzzzzz0"], running: [], orphans: []),
        OrphanRow(name: "all running", links: [dev(a, 0), dev(b, 0)], running: [b, a], orphans: []),
    ]

    @Test(arguments: orphanRows)
    func orphans(_ row: OrphanRow) {
        #expect(QEMUOrphanLinks.orphans(linkNames: row.links, runningIds: row.running) == row.orphans)
    }

    static func record(interfaces: [NetworkInterface], metadata: [String: String] = [:], kernelArguments: String? = nil)
        -> QEMUInstanceRecord
    {
        var spec = InstanceSpec(
            config: InstanceConfig(image: "k", kernelArguments: kernelArguments, networks: interfaces), resources: QEMUFixtures.resources)
        spec.metadata = metadata
        return QEMUInstanceRecord(
            id: a, name: "vm", kind: .vm, spec: spec, kernelPath: "/k", initrdPath: nil, rootDiskPath: nil, rootDiskFormat: nil,
            diskBytes: 0, hasDisk: false, hasCidata: false, createdAt: Date(), networks: Self.networks)
    }

    @Test func aRecordsInterfacesAreTapsByNameAndMacvtapsByDescriptorsInOrder() {
        let interfaces = [
            NetworkInterface(network: "vmnet", address: IPv4Address("10.77.0.2")!, mode: .macvtap),
            NetworkInterface(network: "lab", address: IPv4Address("192.168.50.5")!),
            NetworkInterface(network: "vmnet", address: IPv4Address("10.77.0.3")!, mode: .macvtap),
        ]
        let record = Self.record(interfaces: interfaces)
        #expect(
            QEMUBackend.interfaces(record).map(\.device) == [.descriptor(3), .tap(Self.dev(Self.a, 1)), .descriptor(4)])
        #expect(
            QEMUBackend.interfaces(record).map(\.mac)
                == interfaces.map { NetworkInterface.derivedMAC(network: $0.network, address: $0.address!) })
        #expect(QEMUBackend.ipArgument(record) == "ip=10.77.0.2::10.77.0.1:255.255.255.0::eth0:off:10.77.0.53:9.9.9.9")
        #expect(QEMUBackend.ipArgument(Self.record(interfaces: [])) == nil)
        #expect(QEMUBackend.ipArgument(Self.record(interfaces: [NetworkInterface(network: "lab")])) == nil)
    }

    @Test func theUsersKernelArgumentsAreTheMetadataThenTheConfig() {
        let both = Self.record(interfaces: [], metadata: ["kvm.kernelArgs": "loglevel=3"], kernelArguments: "quiet ip=dhcp")
        #expect(QEMUBackend.userKernelArguments(both.spec) == "loglevel=3 quiet ip=dhcp")
        #expect(QEMUBackend.userKernelArguments(Self.record(interfaces: [], kernelArguments: "").spec) == nil)
        #expect(QEMUBackend.userKernelArguments(Self.record(interfaces: [], kernelArguments: "quiet").spec) == "quiet")
    }

    @Test func aBridgeOverrideIsAnUnmanagedCopyOfTheNetwork() throws {
        let own = try #require(QEMUBackend.attachment(of: NetworkInterface(network: "vmnet"), networks: Self.networks))
        #expect(own == Self.vmnet && own.managed && own.bridge == "fl-vmnet")
        let other = try #require(QEMUBackend.attachment(of: NetworkInterface(network: "vmnet", bridge: "br-lab"), networks: Self.networks))
        #expect(other.bridge == "br-lab" && !other.managed && other.cidr == Self.vmnet.cidr && other.gateway == Self.vmnet.gateway)
        #expect(QEMUBackend.attachment(of: NetworkInterface(network: "nope"), networks: Self.networks) == nil)
    }
}
