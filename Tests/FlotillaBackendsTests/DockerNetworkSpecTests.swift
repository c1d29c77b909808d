import FlotillaCore
import Foundation
import Testing

@testable import FlotillaBackends

/// The pure part of docker instances on Flotilla networks: the docker network of a Flotilla network, whether an
/// existing one carries it, how a container joins its networks, and what inspect reports as a difference.
@Suite struct DockerNetworkSpecTests {
    // Literals that parse (a typo fails every test that uses them at once).
    // swift-format-ignore: NeverForceUnwrap
    static let vmnet = NetworkDefinition(
        name: "vmnet", cidr: IPv4Network("10.77.0.0/24")!, nameservers: [IPv4Address("10.77.0.53")!])
    // Literals that parse (a typo fails every test that uses them at once).
    // swift-format-ignore: NeverForceUnwrap
    static let lan = NetworkDefinition(
        name: "lan", cidr: IPv4Network("192.168.5.0/24")!, gateway: IPv4Address("192.168.5.254"), bridge: "br0",
        nameservers: [IPv4Address("10.77.0.53")!, IPv4Address("192.168.5.53")!])

    static func request(
        _ interfaces: [NetworkInterface], networkMode: String? = nil, labels: [String: String] = [:]
    ) -> BackendCreateRequest {
        BackendCreateRequest(
            id: "0b1c", name: "web", kind: .container,
            spec: InstanceSpec(
                config: InstanceConfig(image: "busybox", networkMode: networkMode, networks: interfaces), labels: labels),
            networks: ["vmnet": vmnet, "lan": lan])
    }

    static func interface(_ network: String, _ address: String?, mac: String? = "02:aa:0a:4d:00:05") -> NetworkInterface {
        NetworkInterface(network: network, address: address.flatMap { IPv4Address($0) }, mac: mac)
    }

    @Test func managedNetworkBody() throws {
        let body = DockerNetworkSpec.createBody(Self.vmnet)
        #expect(body.Name == "flotilla-vmnet")
        #expect(body.CheckDuplicate)
        #expect(body.Driver == "bridge")
        #expect(body.IPAM.Config == [DockerWire.IPAMPool(Subnet: "10.77.0.0/24", Gateway: "10.77.0.1")])
        // The VMs' bridge: containers and VMs of the network share it.
        #expect(body.Options == ["com.docker.network.bridge.name": "fl-vmnet"])
        #expect(body.Labels == ["io.flotilla.network": "vmnet"])
        let json = String(decoding: try JSONEncoder().encode(body), as: UTF8.self)
        #expect(json.contains(#""CheckDuplicate":true"#))
    }

    @Test func unmanagedNetworkLeavesTheOperatorsBridgeAddressesAlone() {
        let body = DockerNetworkSpec.createBody(Self.lan)
        #expect(body.IPAM.Config == [DockerWire.IPAMPool(Subnet: "192.168.5.0/24", Gateway: "192.168.5.254")])
        #expect(body.Options == ["com.docker.network.bridge.name": "br0", "com.docker.network.bridge.inhibit_ipv4": "true"])
    }

    static func existing(
        driver: String = "bridge", subnets: [String] = ["10.77.0.0/24"], gateway: String? = "10.77.0.1",
        bridge: String? = "fl-vmnet"
    ) -> DockerWire.NetworkInspect {
        DockerWire.NetworkInspect(
            Name: "flotilla-vmnet", Id: "abc", Driver: driver,
            IPAM: DockerWire.IPAM(Driver: "default", Config: subnets.map { DockerWire.IPAMPool(Subnet: $0, Gateway: gateway) }),
            Options: bridge.map { ["com.docker.network.bridge.name": $0] } ?? [:], Labels: nil)
    }

    @Test(
        arguments: [
            (DockerNetworkSpecTests.existing(), nil as String?),
            (DockerNetworkSpecTests.existing(gateway: nil), nil),  // docker's default gateway is the first host: the same
            (DockerNetworkSpecTests.existing(gateway: ""), nil),
            (
                DockerNetworkSpecTests.existing(subnets: ["10.78.0.0/24"]),
                "with subnet 10.78.0.0/24, but Flotilla network vmnet is 10.77.0.0/24"
            ),
            (DockerNetworkSpecTests.existing(subnets: []), "with no subnet"),
            (DockerNetworkSpecTests.existing(subnets: ["10.77.0.0/24", "10.79.0.0/24"]), "with subnet 10.77.0.0/24, 10.79.0.0/24"),
            (
                DockerNetworkSpecTests.existing(gateway: "10.77.0.254"),
                "with gateway 10.77.0.254, but Flotilla network vmnet is 10.77.0.0/24 with gateway 10.77.0.1"
            ),
            (DockerNetworkSpecTests.existing(bridge: "br-1234"), "on bridge br-1234, but"),
            (DockerNetworkSpecTests.existing(bridge: nil), "on bridge (docker's choice)"),
            (DockerNetworkSpecTests.existing(driver: "macvlan"), "with driver macvlan"),
        ])
    func existingNetworkMustMatch(_ existing: DockerWire.NetworkInspect, _ problem: String?) {
        let found = DockerNetworkSpec.problem(existing, for: Self.vmnet)
        if let problem {
            #expect(found?.contains(problem) == true, "\(found ?? "nil")")
            #expect(found?.contains("docker network rm flotilla-vmnet") == true)
        } else {
            #expect(found == nil)
        }
    }

    @Test func aGatewayOtherThanTheFirstHostIsNotDockersDefault() {
        let network = NetworkDefinition(name: "vmnet", cidr: IPv4Network("10.77.0.0/24")!, gateway: IPv4Address("10.77.0.9"))
        #expect(DockerNetworkSpec.problem(Self.existing(gateway: nil), for: network)?.contains("default gateway") == true)
    }

    @Test func containerJoinsItsFirstNetworkAtCreate() throws {
        let request = Self.request(
            [Self.interface("vmnet", "10.77.0.5"), Self.interface("lan", "192.168.5.9", mac: "02:bb:c0:a8:05:09")],
            labels: ["io.flotilla.addresses": "spoofed"])
        let body = try DockerContainerSpec.body(request)
        #expect(body.HostConfig.NetworkMode == "flotilla-vmnet")
        #expect(body.MacAddress == "02:aa:0a:4d:00:05")
        // Only the first network at create: the others are connected before start.
        #expect(
            body.NetworkingConfig?.EndpointsConfig == [
                "flotilla-vmnet": DockerWire.EndpointConfig(IPAMConfig: .init(IPv4Address: "10.77.0.5"), MacAddress: "02:aa:0a:4d:00:05")
            ])
        #expect(body.HostConfig.Dns == ["10.77.0.53", "192.168.5.53"])
        #expect(body.Labels["io.flotilla.addresses"] == "vmnet=10.77.0.5,lan=192.168.5.9")
        let attachments = try DockerNetworkSpec.attachments(request)
        #expect(attachments.map(\.dockerNetwork) == ["flotilla-vmnet", "flotilla-lan"])
        #expect(
            attachments[1].endpoint
                == DockerWire.EndpointConfig(IPAMConfig: .init(IPv4Address: "192.168.5.9"), MacAddress: "02:bb:c0:a8:05:09"))
        let json = String(decoding: try JSONEncoder().encode(body), as: UTF8.self)
        #expect(json.contains(#""IPAMConfig":{"IPv4Address":"10.77.0.5"}"#))
    }

    @Test func withoutNetworksNothingChanges() throws {
        let body = try DockerContainerSpec.body(Self.request([], networkMode: "none", labels: ["io.flotilla.addresses": "x"]))
        #expect(body.HostConfig.NetworkMode == "none")
        #expect(body.MacAddress == nil && body.NetworkingConfig == nil && body.HostConfig.Dns == nil)
        #expect(body.Labels["io.flotilla.addresses"] == nil)
        let json = String(decoding: try JSONEncoder().encode(body), as: UTF8.self)
        #expect(!json.contains("NetworkingConfig") && !json.contains("MacAddress") && !json.contains("Dns"))
    }

    @Test(
        arguments: [
            (
                DockerNetworkSpecTests.request([DockerNetworkSpecTests.interface("vmnet", "10.77.0.5")], networkMode: "bridge"),
                "config.networkMode bridge and config.networks cannot be used together"
            ),
            (
                DockerNetworkSpecTests.request([DockerNetworkSpecTests.interface("other", "10.77.0.5")]),
                "config.networks[0]: network other is not defined"
            ),
            (
                DockerNetworkSpecTests.request([DockerNetworkSpecTests.interface("vmnet", nil)]),
                "config.networks[0]: no address was allocated on network vmnet"
            ),
            (
                DockerNetworkSpecTests.request([
                    DockerNetworkSpecTests.interface("vmnet", "10.77.0.5"), DockerNetworkSpecTests.interface("vmnet", "10.77.0.6"),
                ]), "config.networks[1]: network vmnet is named by more than one"
            ),
            (
                DockerNetworkSpecTests.request([NetworkInterface(network: "vmnet", address: IPv4Address("10.77.0.5"), mode: .macvtap)]),
                "macvtap and bridge overrides are for VMs"
            ),
            (
                DockerNetworkSpecTests.request([NetworkInterface(network: "vmnet", address: IPv4Address("10.77.0.5"), bridge: "br9")]),
                "macvtap and bridge overrides are for VMs"
            ),
        ])
    func refusedBeforeAnyCall(_ request: BackendCreateRequest, _ message: String) {
        let error = #expect(throws: BackendError.self) { _ = try DockerContainerSpec.body(request) }
        guard case .invalidRequest(let text) = error else {
            Issue.record("expected invalidRequest, got \(String(describing: error))")
            return
        }
        #expect(text.contains(message), "\(text)")
    }

    @Test func addressesLabelReadsBack() {
        #expect(
            DockerNetworkSpec.allocatedAddresses(label: "vmnet=10.77.0.5,lan=192.168.5.9").map { "\($0.network) \($0.address)" }
                == ["vmnet 10.77.0.5", "lan 192.168.5.9"])
        #expect(DockerNetworkSpec.allocatedAddresses(label: nil).isEmpty)
        #expect(DockerNetworkSpec.allocatedAddresses(label: "garbage").isEmpty)
    }

    @Test(
        arguments: [
            (["flotilla-vmnet": "10.77.0.5", "flotilla-lan": "192.168.5.9"], [String]()),
            (["flotilla-vmnet": "10.77.0.5", "flotilla-lan": ""], []),  // not running: no address to compare
            (
                ["flotilla-vmnet": "10.77.0.5", "flotilla-lan": "192.168.5.77"],
                ["docker network flotilla-lan gave it 192.168.5.77, Flotilla allocated 192.168.5.9 on network lan"]
            ),
            (
                ["flotilla-vmnet": "10.77.0.5"],
                ["not attached to docker network flotilla-lan (Flotilla allocated 192.168.5.9 on network lan)"]
            ),
        ])
    func mismatches(_ attached: [String: String], _ expected: [String]) {
        let found = DockerNetworkSpec.mismatches(
            expected: [("vmnet", "10.77.0.5"), ("lan", "192.168.5.9")],
            attached: attached.mapValues { DockerWire.AttachedNetwork(IPAddress: $0, MacAddress: nil) })
        #expect(found == expected)
    }
}
