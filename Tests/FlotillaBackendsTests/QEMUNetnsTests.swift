import FlotillaBackends
import FlotillaCore
import FlotillaTestSupport
import Foundation
import Testing

/// A kvm VM with interfaces in a network namespace of the test (`--vm-netns`): real QEMU (TCG) launched through
/// `ip netns exec`, real devices made by ``NetlinkHostLinks`` there. No guest needs to boot: what the guest does
/// with its interfaces is checked by the end-to-end tests.
@Suite(
    .serialized, .enabled(if: KVMTestSupport.enabled, KVMTestSupport.skipReason),
    .enabled(if: NetlinkTestNamespace.enabled, NetlinkTestNamespace.skipReason))
struct QEMUNetnsTests {
    // Literals that parse (a typo fails every test that uses them at once).
    // swift-format-ignore: NeverForceUnwrap
    static let vmnet = NetworkDefinition(name: "vmnet", cidr: IPv4Network("10.77.0.0/24")!)

    /// The inode of a namespace file (`/proc/PID/ns/net`, `/var/run/netns/NAME`): equal inodes, the same namespace.
    static func inode(_ path: String) -> UInt64? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return UInt64(st.st_ino)
    }

    @Test func aVMsDevicesAndQEMUAreInTheNamespaceAdoptedAfterARestartAndGoneWhenQEMUDies() async throws {
        try await NetlinkTestNamespace.with { namespace in
            let links = NetlinkHostLinks(namespace: namespace.name)
            try await QEMUFixtures.withBackend(links: links, namespace: namespace.name) { backend, guest, dir in
                let id = QEMUFixtures.newId()
                let interfaces = [
                    NetworkInterface(network: "vmnet", address: IPv4Address("10.77.0.2")!),
                    NetworkInterface(network: "vmnet", address: IPv4Address("10.77.0.3")!, mode: .macvtap),
                ]
                try await backend.create(
                    QEMUFixtures.request(
                        id: id, guest: guest, config: InstanceConfig(image: "flotilla-test-guest", networks: interfaces),
                        networks: ["vmnet": Self.vmnet]))
                let tap = NetworkInterface.hostDeviceName(instanceId: id, index: 0)
                let macvtap = NetworkInterface.hostDeviceName(instanceId: id, index: 1)
                try await backend.start(id: id)

                // `ip netns exec` ran QEMU in place: the pid is QEMU's own, the one in its pid file, in the namespace.
                let pid = try #require(try await backend.pid(id: id))
                let pidFile = try String(contentsOfFile: dir + "/" + id + "/qemu.pid", encoding: .utf8)
                #expect(pidFile.trimmingCharacters(in: .whitespacesAndNewlines) == "\(pid)")
                let command = String(decoding: FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data(), as: UTF8.self)
                #expect(command.hasPrefix("/usr/bin/qemu-system-x86_64\0") || command.hasPrefix("qemu-system-x86_64\0"), "\(command)")
                #expect(Self.inode("/proc/\(pid)/ns/net") == Self.inode("/var/run/netns/\(namespace.name)"))
                #expect(Self.inode("/proc/\(pid)/ns/net") != Self.inode("/proc/self/ns/net"))
                // The bridge with its gateway, the tap on it, the macvtap with the guest's MAC on top of it.
                #expect(try await namespace.addresses("fl-vmnet") == ["10.77.0.1/24"])
                let tapLink = try #require(try await namespace.link(tap))
                #expect(tapLink["master"] as? String == "fl-vmnet", "\(tapLink)")
                let macvtapLink = try #require(try await namespace.link(macvtap))
                #expect(macvtapLink["address"] as? String == NetworkInterface.derivedMAC(network: "vmnet", address: interfaces[1].address!))
                #expect(macvtapLink["link"] as? String == "fl-vmnet", "\(macvtapLink)")

                // A restart of Flotilla adopts the VM (the same pid) and keeps its devices.
                await backend.shutdown()
                let second = QEMUFixtures.backend(directory: dir, links: links, namespace: namespace.name)
                #expect(try await second.inspect(id: id).state == .running)
                #expect(try await second.pid(id: id) == pid, "the same QEMU, not a new one")
                #expect(try await namespace.link(tap) != nil)
                #expect(try await namespace.link(macvtap) != nil)

                // QEMU killed from outside: its devices go with it.
                kill(pid, SIGKILL)
                // Generous: the adopted QEMU's end is seen by its watcher within about a second.
                try await eventually("the devices of a dead QEMU are removed", timeout: .seconds(20), every: .milliseconds(100)) {
                    let tapGone = try await namespace.link(tap) == nil
                    let macvtapGone = try await namespace.link(macvtap) == nil
                    return tapGone && macvtapGone
                }
                #expect(try await second.inspect(id: id).state == .error)
                #expect(try await namespace.link("fl-vmnet") != nil, "the network's bridge stays")
            }
        }
    }
}
