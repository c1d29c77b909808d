import FlotillaBackends
import FlotillaCore
import Foundation
import Testing

/// NetlinkHostLinks against the real kernel, each test inside a network namespace of its own (the machine's own
/// devices are only listed, never changed).
@Suite(.enabled(if: NetlinkTestNamespace.enabled, NetlinkTestNamespace.skipReason))
struct NetlinkHostLinksTests {
    // Literals that parse (a typo fails every test that uses them at once).
    // swift-format-ignore: NeverForceUnwrap
    static let network = NetworkDefinition(name: "vmnet", cidr: IPv4Network("10.77.0.0/24")!)

    /// The flags `ip` shows for a device ("UP", "BROADCAST", ...).
    static func flags(_ link: [String: Any]?) -> [String] { link?["flags"] as? [String] ?? [] }

    static func info(_ link: [String: Any]?) -> [String: Any] { link?["linkinfo"] as? [String: Any] ?? [:] }

    static func kind(_ link: [String: Any]?) -> String? { info(link)["info_kind"] as? String }

    static func data(_ link: [String: Any]?) -> [String: Any] { info(link)["info_data"] as? [String: Any] ?? [:] }

    /// The error `body` throws (nil when it throws none, or another type than the port's).
    static func failure(_ body: () async throws -> Void) async -> HostLinkError? {
        do {
            try await body()
            return nil
        } catch {
            return error as? HostLinkError
        }
    }

    @Test func managedBridgeIsCreatedUpWithTheGatewayAndKeptOnASecondCall() async throws {
        try await NetlinkTestNamespace.with { ns in
            let links = NetlinkHostLinks(namespace: ns.name)
            try await links.ensureBridge(Self.network)
            let bridge = try await ns.link("fl-vmnet")
            #expect(Self.kind(bridge) == "bridge")
            #expect(Self.flags(bridge).contains("UP"))
            #expect(try await ns.addresses("fl-vmnet") == ["10.77.0.1/24"])
            try await links.ensureBridge(Self.network)
            #expect(try await ns.link("fl-vmnet")?["ifindex"] as? Int == bridge?["ifindex"] as? Int)
            #expect(try await ns.addresses("fl-vmnet") == ["10.77.0.1/24"])
        }
    }

    @Test func managedBridgeTakenDownIsSetUpAgain() async throws {
        try await NetlinkTestNamespace.with { ns in
            let links = NetlinkHostLinks(namespace: ns.name)
            let network = NetworkDefinition(name: "lab", cidr: IPv4Network("10.78.0.0/16")!, gateway: IPv4Address("10.78.0.254"))
            try await links.ensureBridge(network)
            try await ns.ip(["link", "set", "fl-lab", "down"])
            try await links.ensureBridge(network)
            #expect(Self.flags(try await ns.link("fl-lab")).contains("UP"))
            #expect(try await ns.addresses("fl-lab") == ["10.78.0.254/16"])
        }
    }

    @Test func unmanagedBridgeThatIsMissingIsAClearError() async throws {
        try await NetlinkTestNamespace.with { ns in
            let links = NetlinkHostLinks(namespace: ns.name)
            let network = NetworkDefinition(name: "ops", cidr: IPv4Network("10.79.0.0/24")!, bridge: "br-ops")
            let error = await Self.failure { try await links.ensureBridge(network) }
            #expect(
                error
                    == HostLinkError(
                        operation: "ensure bridge", device: "br-ops",
                        reason: "bridge br-ops does not exist (network ops names it with bridge=br-ops)"))
            let names = try await links.linkNames()
            #expect(!names.contains("br-ops"))
        }
    }

    @Test func unmanagedBridgeThatExistsIsUsedUnchanged() async throws {
        try await NetlinkTestNamespace.with { ns in
            try await ns.ip(["link", "add", "br-ops", "type", "bridge"])
            let links = NetlinkHostLinks(namespace: ns.name)
            try await links.ensureBridge(NetworkDefinition(name: "ops", cidr: IPv4Network("10.79.0.0/24")!, bridge: "br-ops"))
            // The operator's bridge: no address added, not set up.
            #expect(try await ns.addresses("br-ops").isEmpty)
            #expect(!Self.flags(try await ns.link("br-ops")).contains("UP"))
        }
    }

    @Test func unmanagedNetworkNamingADeviceThatIsNoBridgeIsRefused() async throws {
        try await NetlinkTestNamespace.with { ns in
            try await ns.ip(["link", "add", "fl-v0", "type", "veth", "peer", "name", "fl-v1"])
            let links = NetlinkHostLinks(namespace: ns.name)
            let network = NetworkDefinition(name: "ops", cidr: IPv4Network("10.79.0.0/24")!, bridge: "fl-v0")
            let error = await Self.failure { try await links.ensureBridge(network) }
            #expect(error?.operation == "ensure bridge")
            #expect(error?.reason == "fl-v0 is a veth device, not a bridge (network ops)")
        }
    }

    @Test func tapIsAttachedUpReusedAndDeleted() async throws {
        try await NetlinkTestNamespace.with { ns in
            let links = NetlinkHostLinks(namespace: ns.name)
            try await links.ensureBridge(Self.network)
            try await links.createTap(name: "fltap0", bridge: "fl-vmnet")
            let tap = try await ns.link("fltap0")
            #expect(tap?["master"] as? String == "fl-vmnet")
            #expect(Self.flags(tap).contains("UP"))
            #expect(Self.kind(tap) == "tun")
            #expect(Self.data(tap)["type"] as? String == "tap")
            #expect(Self.data(tap)["vnet_hdr"] as? Bool == true)
            #expect(Self.data(tap)["persist"] as? Bool == true)

            // A tap left by a previous run, detached and down: reused, attached and up again.
            try await ns.ip(["link", "set", "fltap0", "nomaster", "down"])
            try await links.createTap(name: "fltap0", bridge: "fl-vmnet")
            let again = try await ns.link("fltap0")
            #expect(again?["ifindex"] as? Int == tap?["ifindex"] as? Int)
            #expect(again?["master"] as? String == "fl-vmnet")
            #expect(Self.flags(again).contains("UP"))

            #expect(try await links.linkNames().contains("fltap0"))
            try await links.deleteLink(name: "fltap0")
            #expect(try await ns.link("fltap0") == nil)
            #expect(!(try await links.linkNames()).contains("fltap0"))
            try await links.deleteLink(name: "fltap0")
        }
    }

    @Test func tapStillHeldByAProcessIsReusedAttachedAndUp() async throws {
        try await NetlinkTestNamespace.with { ns in
            let links = NetlinkHostLinks(namespace: ns.name)
            try await links.ensureBridge(Self.network)
            try await links.createTap(name: "fltap3", bridge: "fl-vmnet")
            try await ns.ip(["link", "set", "fltap3", "nomaster", "down"])
            // The QEMU of a previous run still holds the tap (TUNSETIFF answers EBUSY): a python3 stand-in.
            let holder = Process()
            holder.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            holder.arguments = [
                "netns", "exec", ns.name, "python3", "-c",
                "import fcntl, os, struct, sys, time\n"
                    + "fd = os.open('/dev/net/tun', os.O_RDWR)\n"
                    + "fcntl.ioctl(fd, 0x400454ca, struct.pack('16sH22x', b'fltap3', 0x5002))\n"
                    + "print('held', flush=True)\n"
                    + "time.sleep(30)\n",
            ]
            let output = Pipe()
            holder.standardOutput = output
            try holder.run()
            do {
                // The line comes once the ioctl has succeeded; read up to its end (an unbuffered python, as with
                // PYTHONUNBUFFERED=1, writes the word and the newline apart).
                var line = Data()
                while !line.contains(UInt8(ascii: "\n")) {
                    let piece = output.fileHandleForReading.availableData
                    if piece.isEmpty { break }
                    line += piece
                }
                #expect(String(decoding: line, as: UTF8.self) == "held\n")
                try await links.createTap(name: "fltap3", bridge: "fl-vmnet")
                let tap = try await ns.link("fltap3")
                #expect(tap?["master"] as? String == "fl-vmnet")
                #expect(Self.flags(tap).contains("UP"))
                kill(holder.processIdentifier, SIGKILL)  // SIGTERM may be blocked in a test runner's children
                holder.waitUntilExit()
            } catch {
                kill(holder.processIdentifier, SIGKILL)  // SIGTERM may be blocked in a test runner's children
                holder.waitUntilExit()
                throw error
            }
        }
    }

    @Test func tapOnAMissingBridgeFailsAndLeavesNoTap() async throws {
        try await NetlinkTestNamespace.with { ns in
            let links = NetlinkHostLinks(namespace: ns.name)
            let error = await Self.failure {
                try await links.createTap(name: "fltap1", bridge: "fl-nope")
            }
            #expect(error == HostLinkError(operation: "create tap", device: "fltap1", reason: "bridge fl-nope does not exist"))
            #expect(error?.description == "create tap fltap1: bridge fl-nope does not exist")
            let left = try await ns.link("fltap1")
            #expect(left == nil)
        }
    }

    @Test func tapNamedLikeAnotherDeviceIsRefusedWithTheKernelsReason() async throws {
        try await NetlinkTestNamespace.with { ns in
            let links = NetlinkHostLinks(namespace: ns.name)
            try await links.ensureBridge(Self.network)
            let error = await Self.failure {
                try await links.createTap(name: "fl-vmnet", bridge: "fl-vmnet")
            }
            #expect(error?.operation == "create tap")
            #expect(error?.device == "fl-vmnet")
            #expect(error?.reason == "Invalid argument (TUNSETIFF)")
            #expect(Self.kind(try await ns.link("fl-vmnet")) == "bridge")
        }
    }

    @Test func macvtapHasBridgeModeAndTheMacAndItsDeviceOpens() async throws {
        try await NetlinkTestNamespace.with { ns in
            // This kernel has no dummy driver: a veth end is the parent.
            try await ns.ip(["link", "add", "fl-v0", "type", "veth", "peer", "name", "fl-v1"])
            let links = NetlinkHostLinks(namespace: ns.name)
            let path = try await links.createMacvtap(name: "flmvt0", parent: "fl-v0", mac: "52:54:00:12:34:56")
            let link = try await ns.link("flmvt0")
            #expect(Self.kind(link) == "macvtap")
            #expect(Self.data(link)["mode"] as? String == "bridge")
            #expect(link?["address"] as? String == "52:54:00:12:34:56")
            #expect(link?["link"] as? String == "fl-v0")
            #expect(Self.flags(link).contains("UP"))
            #expect(path == "/dev/tap\(link?["ifindex"] as? Int ?? -1)")
            let descriptor = open(path, O_RDWR | O_CLOEXEC)
            #expect(descriptor >= 0, "open \(path): errno \(errno)")
            if descriptor >= 0 { close(descriptor) }

            // Again (a previous run's device): the same device, the MAC asked for, up.
            try await ns.ip(["link", "set", "flmvt0", "down", "address", "52:54:00:00:00:01"])
            #expect(try await links.createMacvtap(name: "flmvt0", parent: "fl-v0", mac: "52:54:00:12:34:56") == path)
            let again = try await ns.link("flmvt0")
            #expect(again?["address"] as? String == "52:54:00:12:34:56")
            #expect(Self.flags(again).contains("UP"))

            try await links.deleteLink(name: "flmvt0")
            #expect(try await ns.link("flmvt0") == nil)
        }
    }

    @Test func macvtapRefusesABadMacAndAMissingParent() async throws {
        try await NetlinkTestNamespace.with { ns in
            let links = NetlinkHostLinks(namespace: ns.name)
            let badMac = await Self.failure {
                _ = try await links.createMacvtap(name: "flmvt1", parent: "lo", mac: "52:54:00:12:34")
            }
            #expect(
                badMac
                    == HostLinkError(
                        operation: "create macvtap", device: "flmvt1", reason: "\"52:54:00:12:34\" is not a MAC address (xx:xx:xx:xx:xx:xx)"
                    ))
            let noParent = await Self.failure {
                _ = try await links.createMacvtap(name: "flmvt1", parent: "fl-none", mac: "52:54:00:12:34:56")
            }
            #expect(
                noParent == HostLinkError(operation: "create macvtap", device: "flmvt1", reason: "parent device fl-none does not exist"))
            let left = try await ns.link("flmvt1")
            #expect(left == nil)
        }
    }

    @Test func linkNamesListsEveryDevice() async throws {
        try await NetlinkTestNamespace.with { ns in
            let links = NetlinkHostLinks(namespace: ns.name)
            #expect(try await links.linkNames() == ["lo"])
            try await links.ensureBridge(Self.network)
            try await links.createTap(name: "fltap2", bridge: "fl-vmnet")
            #expect(Set(try await links.linkNames()) == ["lo", "fl-vmnet", "fltap2"])
        }
    }

    @Test func theProcessOwnNamespaceIsListed() async throws {
        // Read only: the machine's own devices are listed as `ip` lists them, never changed. Other tests may add
        // or remove devices meanwhile, so the list is compared with `ip`'s before and after it.
        let before = try await Self.rootLinkNames()
        let names = Set(try await NetlinkHostLinks().linkNames())
        let after = try await Self.rootLinkNames()
        #expect(names.contains("lo"))
        #expect(before.intersection(after).isSubset(of: names))
        #expect(names.isSubset(of: before.union(after)))
    }

    /// The names `ip -o link show` prints for the process's own namespace (`veth0@if5` read as `veth0`).
    static func rootLinkNames() async throws -> Set<String> {
        let lines = try await NetlinkTestNamespace.run(["-o", "link", "show"]).split(separator: "\n")
        return Set(
            lines.compactMap { line in
                line.split(separator: ":").dropFirst().first.map {
                    String($0.trimmingCharacters(in: .whitespaces).split(separator: "@")[0])
                }
            })
    }

    @Test func aMissingNamespaceIsAnError() async throws {
        let links = NetlinkHostLinks(namespace: "fltest-nl-\(getpid())-absent")
        let error = await Self.failure { _ = try await links.linkNames() }
        #expect(error == HostLinkError(operation: "join network namespace", device: links.namespace!, reason: "No such file or directory"))
    }
}
