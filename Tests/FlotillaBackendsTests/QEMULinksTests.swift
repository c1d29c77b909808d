import FlotillaCore
import FlotillaTestSupport
import Foundation
import Testing

@testable import FlotillaBackends

/// The host side of kvm interfaces, with a recording fake of the host's devices (``QEMUFakeHostLinks``): what is
/// refused at create, what the cloud-init seed carries, and that no device outlives a failed start or a VM that
/// is not running when Flotilla starts again. QEMU is installed but no guest boots.
@Suite(.serialized, .enabled(if: KVMTestSupport.enabled, KVMTestSupport.skipReason))
struct QEMULinksTests {
    // Literals that parse (a typo fails every test that uses them at once).
    // swift-format-ignore: NeverForceUnwrap
    static let vmnet = NetworkDefinition(name: "vmnet", cidr: IPv4Network("10.77.0.0/24")!)
    static let networks = ["vmnet": vmnet]

    static func config(_ interfaces: [NetworkInterface]) -> InstanceConfig {
        InstanceConfig(image: "flotilla-test-guest", networks: interfaces)
    }

    static func dev(_ id: String, _ index: Int) -> String { NetworkInterface.hostDeviceName(instanceId: id, index: index) }

    @Test func createRefusesInterfacesWhenTheHostCannotMakeDevicesOrTheNetworkIsUnknown() async throws {
        try await QEMUFixtures.withBackend { backend, guest, _ in
            let id = QEMUFixtures.newId()
            let request = QEMUFixtures.request(
                id: id, guest: guest, config: Self.config([NetworkInterface(network: "vmnet")]), networks: Self.networks)
            await #expect(
                throws: BackendError.invalidRequest("networks are not available: this host's kvm backend cannot make network devices")
            ) {
                try await backend.create(request)
            }
            await #expect(throws: BackendError.notFound(id)) { _ = try await backend.inspect(id: id) }
        }
        let links = QEMUFakeHostLinks()
        try await QEMUFixtures.withBackend(links: links) { backend, guest, _ in
            let unknown = QEMUFixtures.request(
                id: QEMUFixtures.newId(), guest: guest, config: Self.config([NetworkInterface(network: "other")]), networks: Self.networks)
            await #expect(throws: BackendError.invalidRequest("network other is not defined")) { try await backend.create(unknown) }
            var both = Self.config([NetworkInterface(network: "vmnet")])
            both.networkType = "bridge"
            both.networkSource = "br0"
            let legacy = QEMUFixtures.request(id: QEMUFixtures.newId(), guest: guest, config: both, networks: Self.networks)
            await #expect(throws: BackendError.self) { try await backend.create(legacy) }
            let listed = try await backend.list()
            #expect(listed.isEmpty)
        }
        #expect(links.devices.isEmpty)
    }

    @Test func interfacesPutANetworkConfigOnTheSeedAndTheirDevicesOnTheCommandLine() async throws {
        let links = QEMUFakeHostLinks()
        try await QEMUFixtures.withBackend(links: links) { backend, guest, dir in
            let id = QEMUFixtures.newId()
            let interface = NetworkInterface(network: "vmnet", address: IPv4Address("10.77.0.5")!, mac: "02:11:0a:4d:00:05")
            try await backend.create(
                QEMUFixtures.request(id: id, guest: guest, config: Self.config([interface]), networks: Self.networks))
            // No cloud-init data was given: the seed is made for the network-config alone.
            let iso = try #require(FileManager.default.contents(atPath: dir + "/" + id + "/cidata.iso"))
            let text = String(decoding: iso, as: UTF8.self)
            #expect(text.contains("network-config") || text.contains("NETWORK_CONFIG"))
            #expect(
                text.contains("macaddress: \"02:11:0a:4d:00:05\"") && text.contains("- 10.77.0.5/24") && text.contains("via: 10.77.0.1"))
            let arguments = try await backend.arguments(id: id)
            #expect(arguments.contains("tap,id=net0,ifname=\(Self.dev(id, 0)),script=no,downscript=no"))
            #expect(arguments.contains("virtio-net-device,netdev=net0,mac=02:11:0a:4d:00:05"))
            #expect(arguments.last?.contains("ip=10.77.0.5::10.77.0.1:255.255.255.0::eth0:off") == true)
        }
        #expect(!links.calls.contains { $0.hasPrefix("create") || $0.hasPrefix("ensure") }, "create makes no device: \(links.calls)")
    }

    @Test func aStartThatFailsHalfWayRemovesTheDevicesItMade() async throws {
        try KVMTestSupport.requireQEMU()
        let probe = QEMUFixtures.newId()
        let links = QEMUFakeHostLinks(failing: ["createTap \(Self.dev(probe, 1))"])
        try await QEMUFixtures.withBackend(links: links) { backend, guest, _ in
            let interfaces = [
                NetworkInterface(network: "vmnet", address: IPv4Address("10.77.0.2")!),
                NetworkInterface(network: "vmnet", address: IPv4Address("10.77.0.3")!, bridge: "br-other"),
            ]
            try await backend.create(
                QEMUFixtures.request(id: probe, guest: guest, config: Self.config(interfaces), networks: Self.networks))
            await #expect(throws: BackendError.self) { try await backend.start(id: probe) }
            #expect(try await backend.pid(id: probe) == nil, "no QEMU was launched")
            #expect(try await backend.inspect(id: probe).state == .created)
            #expect(links.devices.isEmpty, "left behind: \(links.devices)")
            let made = links.calls.firstIndex(of: "createTap \(Self.dev(probe, 0)) fl-vmnet")
            let removed = links.calls.lastIndex(of: "deleteLink \(Self.dev(probe, 0))")
            #expect(made != nil && removed != nil && removed! > made!, "\(links.calls)")
            // The second interface attached to its override bridge, whose (unmanaged) definition was ensured.
            #expect(links.calls.contains("ensureBridge br-other"))
        }
    }

    @Test func aMacvtapNodeThatIsNotTheDeviceEndsTheStartAndTheDeviceIsRemoved() async throws {
        // /dev/tapN is named after an index unique only per namespace: a node that is not the device just made
        // (here a regular file) is refused before QEMU is given it.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("flt-not-a-tap-\(UUID().uuidString)").path
        _ = FileManager.default.createFile(atPath: file, contents: Data())
        defer { try? FileManager.default.removeItem(atPath: file) }
        let links = QEMUFakeHostLinks(macvtapPath: file)
        try await QEMUFixtures.withBackend(links: links) { backend, guest, _ in
            let id = QEMUFixtures.newId()
            let interface = NetworkInterface(network: "vmnet", address: IPv4Address("10.77.0.4")!, mode: .macvtap)
            try await backend.create(QEMUFixtures.request(id: id, guest: guest, config: Self.config([interface]), networks: Self.networks))
            #expect(try await backend.arguments(id: id).contains("tap,id=net0,fd=3"))
            do {
                try await backend.start(id: id)
                Issue.record("QEMU started on a regular file as its tap")
            } catch {
                #expect("\(error)".contains("is not macvtap \(Self.dev(id, 0))"), "\(error)")
            }
            #expect(links.calls.contains { $0.hasPrefix("createMacvtap \(Self.dev(id, 0)) fl-vmnet ") }, "\(links.calls)")
            #expect(links.devices.isEmpty, "left behind: \(links.devices)")
        }
    }

    @Test func aRestartedBackendRemovesTheDevicesOfEveryVMNotRunning() async throws {
        try await QEMUFixtures.withBackend(links: QEMUFakeHostLinks()) { first, guest, dir in
            let id = QEMUFixtures.newId()
            try await first.create(
                QEMUFixtures.request(
                    id: id, guest: guest, config: Self.config([NetworkInterface(network: "vmnet")]), networks: Self.networks))
            // After a kill -9 of Flotilla: the VM's device, and one of a VM deleted meanwhile, are still there.
            let gone = QEMUFixtures.newId()
            let links = QEMUFakeHostLinks(devices: ["lo", "eth0", "fl-vmnet", Self.dev(id, 0), Self.dev(gone, 0), Self.dev(gone, 1)])
            let second = QEMUFixtures.backend(directory: dir, links: links)
            #expect(try await second.list().map(\.id) == [id])
            #expect(links.devices == ["lo", "eth0", "fl-vmnet"])
            #expect(links.calls.first == "linkNames")
        }
    }

    @Test func aChildGetsTheHandedDescriptorsAsThreeAndFourAndNoOther() async throws {
        let dir = KVMTestSupport.temporaryDirectory("fds")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = open(dir + "/first", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        let second = open(dir + "/second", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        defer {
            close(first)
            close(second)
        }
        #expect(first >= 0 && second >= 0)
        let output = dir + "/out"
        // `ls` replaces the shell, so it lists what the child had, plus 5: the folder it reads.
        let child = try ChildProcess.spawn(
            executable: "/bin/sh", arguments: ["-c", "readlink /proc/$$/fd/3 /proc/$$/fd/4; exec ls /proc/self/fd"],
            outputPath: output, newSession: false, inheritedDescriptors: [second, first])
        // A generous cap on a tiny shell script, only so that a hang fails rather than blocks.
        #expect(await child.waitForExit(timeout: .seconds(30)) == .exited(0))
        let text = try String(contentsOfFile: output, encoding: .utf8)
        #expect(text == "\(dir)/second\n\(dir)/first\n0\n1\n2\n3\n4\n5\n", "\(text)")
    }
}
