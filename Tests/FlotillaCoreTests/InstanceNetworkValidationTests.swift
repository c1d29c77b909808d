import FlotillaCore
import Testing

/// Interfaces, disks, kernel arguments and separate initrd/root images in ``InstanceValidation/validateConfig(_:backend:)``
/// (docs/decisions/0025-vm-networks.md, 0026-vm-disks.md): valid and invalid rows per backend; an invalid one names
/// the field and says what is wrong.
@Suite struct InstanceNetworkValidationTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var backend: BackendKind
        var config: InstanceConfig
        var field: String?
        var says: String

        var testDescription: String { "\(backend.rawValue) \(field ?? "valid")" }
    }

    static func row(_ backend: BackendKind, _ config: InstanceConfig, _ field: String? = nil, says: String = "") -> Row {
        Row(backend: backend, config: config, field: field, says: says)
    }

    static func nets(_ interfaces: NetworkInterface...) -> InstanceConfig { InstanceConfig(image: "img", networks: interfaces) }
    static func disks(_ disks: DiskSpec...) -> InstanceConfig { InstanceConfig(image: "img", disks: disks) }
    static func net(_ name: String = "vmnet", mac: String? = nil, mode: NetworkInterface.Mode? = nil, bridge: String? = nil)
        -> NetworkInterface
    {
        NetworkInterface(network: name, address: nil, mac: mac, mode: mode, bridge: bridge)
    }

    static let interfaceRows: [Row] = [
        row(.kvm, nets(net(), net("b", mac: "02:00:00:00:00:01", mode: .macvtap), net("c-2", bridge: "br0"))),
        row(.docker, nets(net(), net("other", mac: "0a:BB:cc:dd:ee:ff", mode: .tap))),
        row(.sim, nets(net(mode: .macvtap, bridge: "br0"))),
        row(.kvm, nets(net("Vmnet")), "config.networks[0].network", says: "not a network name"),
        row(.kvm, nets(net(), net("")), "config.networks[1].network", says: "not a network name"),
        row(.kvm, nets(net("a-very-long-name")), "config.networks[0].network", says: "1-12"),
        row(.kvm, nets(net("1net")), "config.networks[0].network", says: "starting with a letter"),
        row(.kvm, nets(net(mac: "01:00:00:00:00:01")), "config.networks[0].mac", says: "unicast"),
        row(.docker, nets(net(mac: "02:00:00:00:00")), "config.networks[0].mac", says: "six"),
        row(.kvm, nets(net(mac: "02-00-00-00-00-01")), "config.networks[0].mac", says: "hex octets"),
        row(.kvm, nets(net(bridge: "br/0")), "config.networks[0].bridge", says: "not a valid interface name"),
        row(
            .docker, InstanceConfig(image: "img", networkMode: "host", networks: [net()]), "config.networkMode",
            says: "exclusive"),
        row(.docker, InstanceConfig(image: "img", networkMode: "bridge")),
        row(.kvm, nets(net(bridge: "abcdefghijklmnop")), "config.networks[0].bridge", says: "1-15 characters"),
        row(.docker, nets(net(bridge: "br0")), "config.networks[0].bridge", says: "docker backend does not take it"),
        row(.docker, nets(net(), net("b", mode: .macvtap)), "config.networks[1].mode", says: "docker backend does not take it"),
        row(
            .kvm, InstanceConfig(image: "img", networks: (0..<9).map { net("n\($0)") }), "config.networks",
            says: "at most 8 entries (got 9)"),
    ]

    static let diskRows: [Row] = [
        row(
            .kvm,
            disks(
                DiskSpec(id: "data", sizeBytes: 8 << 20), DiskSpec(id: "vol_2", image: "ext4-vol"),
                DiskSpec(id: "ro-1", image: "ext4-vol", sizeBytes: 1 << 30, readOnly: true), DiskSpec(id: "z", image: "v", sizeBytes: 0))),
        row(.sim, disks(DiskSpec(id: "data", sizeBytes: 1))),
        row(.docker, disks(DiskSpec(id: "data", sizeBytes: 1)), "config.disks", says: "docker backend takes no disks"),
        row(.kvm, disks(DiskSpec(id: "data")), "config.disks[0]", says: "needs an image or a sizeBytes"),
        row(.kvm, disks(DiskSpec(id: "a", sizeBytes: 1), DiskSpec(id: "a", sizeBytes: 1)), "config.disks[1].id", says: "another disk"),
        row(.kvm, disks(DiskSpec(id: "", sizeBytes: 1)), "config.disks[0].id", says: "1-20 letters"),
        row(.kvm, disks(DiskSpec(id: "has space", sizeBytes: 1)), "config.disks[0].id", says: "1-20 letters"),
        row(.kvm, disks(DiskSpec(id: String(repeating: "d", count: 21), sizeBytes: 1)), "config.disks[0].id", says: "1-20"),
        row(.kvm, disks(DiskSpec(id: "e", sizeBytes: 0)), "config.disks[0].sizeBytes", says: "greater than 0"),
        row(.kvm, disks(DiskSpec(id: "e", sizeBytes: -1)), "config.disks[0].sizeBytes", says: "greater than 0"),
        row(.kvm, disks(DiskSpec(id: "i", image: "v", sizeBytes: -1)), "config.disks[0].sizeBytes", says: "between 0 and 16 TiB"),
        row(.kvm, disks(DiskSpec(id: "big", sizeBytes: (16 << 40) + 1)), "config.disks[0].sizeBytes", says: "16 TiB"),
        row(.kvm, disks(DiskSpec(id: "max", sizeBytes: 16 << 40))),
        row(.kvm, disks(DiskSpec(id: "i", image: "")), "config.disks[0].image", says: "must not be empty"),
        row(.kvm, disks(DiskSpec(id: "i", image: "a\nb")), "config.disks[0].image", says: "control characters"),
        row(
            .kvm, disks(DiskSpec(id: "i", image: String(repeating: "x", count: 4097))), "config.disks[0].image",
            says: "at most 4096 bytes"),
        row(
            .kvm, InstanceConfig(image: "img", disks: (0..<17).map { DiskSpec(id: "d\($0)", sizeBytes: 1) }), "config.disks",
            says: "at most 16 entries (got 17)"),
    ]

    static let kernelRows: [Row] = [
        row(.kvm, InstanceConfig(image: "k", initrdImage: "initrd-img", rootImage: "root-img", kernelArguments: "quiet ro loglevel=3")),
        row(.sim, InstanceConfig(image: "k", kernelArguments: "console=ttyS0")),
        row(.kvm, InstanceConfig(image: "k", kernelArguments: "a\nb"), "config.kernelArguments", says: "control characters"),
        row(
            .kvm, InstanceConfig(image: "k", kernelArguments: String(repeating: "a", count: 1025)), "config.kernelArguments",
            says: "at most 1024 bytes"),
        row(.kvm, InstanceConfig(image: "k", kernelArguments: String(repeating: "a", count: 1024))),
        row(.docker, InstanceConfig(image: "busybox", kernelArguments: "quiet"), "config.kernelArguments", says: "docker"),
        row(.docker, InstanceConfig(image: "busybox", rootImage: "root"), "config.rootImage", says: "docker"),
        row(.kvm, InstanceConfig(image: "k", initrdImage: ""), "config.initrdImage", says: "must not be empty"),
        row(.sim, InstanceConfig(image: "k", rootImage: "r\u{0}"), "config.rootImage", says: "NUL"),
        row(
            .kvm, InstanceConfig(image: "k", rootImage: String(repeating: "r", count: 4097)), "config.rootImage",
            says: "at most 4096 bytes"),
    ]

    @Test(arguments: interfaceRows) func interfaces(_ row: Row) { check(row) }
    @Test(arguments: diskRows) func disks(_ row: Row) { check(row) }
    @Test(arguments: kernelRows) func kernelAndImages(_ row: Row) { check(row) }

    func check(_ row: Row, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try InstanceValidation.validateConfig(row.config, backend: row.backend)
            #expect(row.field == nil, "accepted, but \(row.field ?? "") should be refused", sourceLocation: sourceLocation)
        } catch {
            guard let field = row.field else {
                Issue.record("refused: \(error.message)", sourceLocation: sourceLocation)
                return
            }
            #expect(error.code == .validationError, sourceLocation: sourceLocation)
            #expect(error.details["field"] == .string(field), "\(error.details)", sourceLocation: sourceLocation)
            #expect(error.message.hasPrefix(field), "\(error.message)", sourceLocation: sourceLocation)
            #expect(error.message.contains(row.says), "\(error.message)", sourceLocation: sourceLocation)
        }
    }
}
