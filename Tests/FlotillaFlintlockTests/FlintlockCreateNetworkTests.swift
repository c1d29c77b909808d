import FlotillaCluster
import FlotillaCore
import FlotillaFlintlock
import Foundation
import Testing

/// `interfaces` onto `config.networks`: the Flotilla network of each, its mode, MAC, fixed address and bridge.
@Suite("Flintlock create: interfaces")
struct FlintlockCreateNetworkTests {
    typealias F = FlintlockCatalogFixture

    /// One interface and the Flotilla interface it maps to, with the networks defined.
    struct MapCase: Sendable, CustomTestStringConvertible {
        var name: String
        var networks: [String: NetworkDefinition] = F.networks
        var given: Flintlock_Types_NetworkInterface
        var expected: NetworkInterface
        var testDescription: String { name }
    }

    static let mapCases: [MapCase] = [
        MapCase(
            name: "TAP, static address in vmnet, gateway and nameserver of vmnet",
            given: F.interface("eth0", .tap, address: "10.0.0.5/24", gateway: "10.0.0.1", nameservers: ["10.0.0.53"]),
            expected: NetworkInterface(network: "vmnet", address: IPv4Address("10.0.0.5"), mode: .tap)),
        MapCase(
            name: "MACVTAP (upstream's default type), guest MAC lowercased, address in backnet",
            given: F.interface("eth0", .macvtap, address: "10.1.2.3/16", mac: "AA:BB:CC:00:11:22"),
            expected: NetworkInterface(network: "backnet", address: IPv4Address("10.1.2.3"), mac: "aa:bb:cc:00:11:22", mode: .macvtap)),
        MapCase(
            name: "no address: the network whose bridge is the override",
            given: F.interface("eth0", bridge: "br-back"),
            expected: NetworkInterface(network: "backnet", mode: .tap, bridge: "br-back")),
        MapCase(
            name: "no address, an override no network has: the only network, attached to the override",
            networks: ["vmnet": F.vmnet], given: F.interface("eth0", bridge: "br-other"),
            expected: NetworkInterface(network: "vmnet", mode: .tap, bridge: "br-other")),
        MapCase(
            name: "nothing but a device: the only network", networks: ["backnet": F.backnet], given: F.interface("eth1"),
            expected: NetworkInterface(network: "backnet", mode: .tap)),
    ]

    @Test(arguments: mapCases)
    func maps(_ c: MapCase) throws {
        let created = try F.make(F.request { $0.interfaces = [c.given] }, networks: c.networks)
        #expect(created.spec.config.networks == [c.expected])
    }

    @Test func interfacesKeepTheirOrder() throws {
        let created = try F.make(
            F.request { $0.interfaces = [F.interface("eth0", address: "10.1.0.9/16"), F.interface("eth1", address: "10.0.0.9/24")] })
        #expect(created.spec.config.networks?.map(\.network) == ["backnet", "vmnet"])
    }

    struct BadCase: Sendable, CustomTestStringConvertible {
        var name: String
        var networks: [String: NetworkDefinition] = F.networks
        var interfaces: [Flintlock_Types_NetworkInterface]
        var says: String
        var testDescription: String { name }
    }

    static let badCases: [BadCase] = [
        BadCase(name: "no network defined", networks: [:], interfaces: [F.interface("eth0")], says: "start hosts with --network"),
        BadCase(
            name: "several networks, nothing chooses", interfaces: [F.interface("eth0")], says: "several networks are defined (backnet"),
        BadCase(name: "address in no network", interfaces: [F.interface("eth0", address: "192.168.1.5/24")], says: "is in no network"),
        BadCase(name: "prefix not the network's", interfaces: [F.interface("eth0", address: "10.0.0.5/16")], says: "must be /24"),
        BadCase(name: "not an address", interfaces: [F.interface("eth0", address: "10.0.0/24")], says: "must be an IPv4 address"),
        BadCase(name: "empty address", interfaces: [F.interface("eth0", address: "")], says: "must be an IPv4 address"),
        BadCase(
            name: "gateway not the network's", interfaces: [F.interface("eth0", address: "10.0.0.5/24", gateway: "10.0.0.254")],
            says: "gateway 10.0.0.1"),
        BadCase(
            name: "nameserver the network does not give",
            interfaces: [F.interface("eth0", address: "10.0.0.5/24", nameservers: ["8.8.8.8"])], says: "(10.0.0.53)"),
        BadCase(name: "bad MAC", interfaces: [F.interface("eth0", address: "10.0.0.5/24", mac: "01:00:5e:00:00:01")], says: "unicast"),
        BadCase(name: "no device id", interfaces: [F.interface("", address: "10.0.0.5/24")], says: "device_id is required"),
        BadCase(
            name: "device id twice",
            interfaces: [F.interface("eth0", address: "10.0.0.5/24"), F.interface("eth0", address: "10.0.0.6/24")],
            says: "names another interface"),
        BadCase(
            name: "unknown type",
            interfaces: [
                {
                    var i = F.interface("eth0", address: "10.0.0.5/24")
                    i.type = .UNRECOGNIZED(7)
                    return i
                }()
            ], says: "neither MACVTAP"),
        BadCase(name: "nine interfaces", interfaces: (0..<9).map { F.interface("eth\($0)", bridge: "br-back") }, says: "at most 8"),
    ]

    @Test(arguments: badCases)
    func rejects(_ bad: BadCase) {
        do {
            _ = try F.make(F.request { $0.interfaces = bad.interfaces }, networks: bad.networks)
            Issue.record("\(bad.name) was accepted")
        } catch {
            #expect(error.code == .validationError, "\(bad.name): \(error.message)")
            #expect(error.message.contains(bad.says), "\(bad.name): \(error.message)")
        }
    }
}
