import FlotillaAPI
import FlotillaClient
import FlotillaCore
import FlotillaTestSupport
import Foundation
import Testing

/// VM networks end to end (docs/decisions/0025-vm-networks.md): real QEMU under TCG, a network namespace the
/// test makes (nothing in the machine's own namespace is touched), `flotilla serve --network vmnet=10.77.0.0/24
/// --vm-netns NS` (Flotilla makes the bridge fl-vmnet with 10.77.0.1 and the taps inside NS), the API on
/// loopback as usual. The guests' init configures eth0 from `ip=` and prints what its hooks saw
/// (Tests/Fixtures/guest/init).
@Suite(
    "VM networks on real QEMU in a namespace", .serialized,
    .enabled(if: KVMTestSupport.enabled && (NetworkNamespace.available || KVMTestSupport.required), KVMTestSupport.skipReason))
struct VMNetworkProcessTests {
    static let gateway = "10.77.0.1"

    /// Tries of each guest ping: the first guest may boot minutes before the second on a busy machine.
    static let pingTries = 150

    @Test(
        "two VMs (one fixed address, one allocated) ping each other and the gateway; httpd answers in the namespace; delete leaves no tap and frees the address"
    )
    func twoVMsTalk() async throws {
        try KVMTestSupport.requireQEMU()
        let guest = try await GuestImageFixture.guest()
        try await FixtureStack.with { stack in
            let (host, ns) = try await Self.start(stack, label: "net", guest: guest, stopSignal: SIGTERM)
            let fixed = "10.77.0.10"
            try await FlotillaClient.withClient(baseURL: host.url, apiKey: host.apiKey) { client in
                let a = try await client.createInstance(
                    Self.request("net-a", address: nil, arguments: "flotilla.ping=\(fixed)+\(Self.gateway) flotilla.httpd=1"), wait: true
                ).instance
                let allocated = try #require(a.config.networks?.first?.address, "the create answer shows the allocated address")
                #expect(allocated != fixed && allocated != Self.gateway && allocated.hasPrefix("10.77.0."))
                let b = try await client.createInstance(
                    Self.request("net-b", address: fixed, arguments: "flotilla.ping=\(allocated)+\(Self.gateway)"), wait: true
                ).instance
                #expect(b.config.networks?.first?.address == fixed)

                for (id, own, other) in [(a.id, allocated, fixed), (b.id, fixed, allocated)] {
                    let console = try await VMProcessSupport.waitForConsole(
                        client, id: id,
                        lines: ["FLOTILLA-NET eth0 \(own)", "FLOTILLA-PING \(other) ok", "FLOTILLA-PING \(Self.gateway) ok"])
                    #expect(!console.contains("FLOTILLA-PING \(other) fail"))
                }
                try await VMProcessSupport.waitForConsole(client, id: a.id, lines: ["FLOTILLA-HTTPD-UP"])
                // Host busybox's wget crashes with -T; the fixture's deadline (timeout -s KILL) bounds it instead.
                let page = try await ns.run(["busybox", "wget", "-qO-", "http://\(allocated)/"])
                #expect(page.status == 0, "wget: \(page.err)")
                #expect(page.out.contains("FLOTILLA-HTTPD \(allocated)"))

                #expect(try await client.globalVM(id: b.id).spec.networks?.first?.address == fixed, "the /api/v2 record")
                #expect(try await client.vm(uuid: b.id).ipAddress == fixed, "surface C's ip_address")
                #expect(try await client.vm(uuid: a.id).ipAddress == allocated)
                #expect(try await Self.taps(ns).count == 2)

                _ = try await client.deleteInstance(id: a.id, force: true, wait: true)
                _ = try await client.deleteInstance(id: b.id, force: true, wait: true)
                try await eventually("no fl… tap left in \(ns.name)", timeout: .seconds(60), every: .milliseconds(500)) {
                    try await Self.taps(ns).isEmpty
                }
                // The fixed address is free again: a new VM takes it.
                let c = try await client.createInstance(Self.request("net-c", address: fixed, arguments: ""), wait: true).instance
                #expect(c.config.networks?.first?.address == fixed)
                #expect(try await Self.taps(ns).count == 1)
                _ = try await client.deleteInstance(id: c.id, force: true, wait: true)
            }
        }
    }

    @Test("kill -9 of the host and its QEMU: the restarted host removes the orphan tap and the VM comes back with its address")
    func crashLeavesNoOrphan() async throws {
        try KVMTestSupport.requireQEMU()
        let guest = try await GuestImageFixture.guest()
        try await FixtureStack.with { stack in
            let (first, ns) = try await Self.start(stack, label: "crash", guest: guest, stopSignal: SIGKILL)
            let fixed = "10.77.0.20"
            let id = try await FlotillaClient.withClient(baseURL: first.url, apiKey: first.apiKey) { client in
                var request = Self.request("crashy", address: fixed, arguments: "")
                request.config?.restartPolicy = "always"
                let vm = try await client.createInstance(request, wait: true).instance
                try await VMProcessSupport.waitForConsole(client, id: vm.id, lines: ["FLOTILLA-NET eth0 \(fixed)"])
                return vm.id
            }
            #expect(try await ns.run(["busybox", "ping", "-c", "1", fixed], timeout: .seconds(10)).status == 0)
            // A tap of an instance that never existed here: the next start must remove it.
            let orphan = NetworkInterface.hostDeviceName(instanceId: "0123456789abcdef", index: 0)
            let made = try await ns.run(["ip", "tuntap", "add", "dev", orphan, "mode", "tap"])
            #expect(made.status == 0, "ip tuntap: \(made.err)")
            let pidFile = "\(first.dataDir)/kvm/\(id)/qemu.pid"
            let pid = try #require(
                Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))

            #expect(await first.stop(signal: SIGKILL) == 9)
            kill(pid, SIGKILL)
            try await eventually("the killed QEMU is gone", timeout: .seconds(20)) { !KVMTestSupport.isAlive(pid) }

            let second = try await stack.serve(
                dataDir: first.dataDir, extra: Self.serveArguments(ns), backends: "sim,kvm", stopSignal: SIGTERM)
            try await eventually("the orphan tap \(orphan) is removed", timeout: .seconds(60), every: .milliseconds(500)) {
                try await !Self.taps(ns).contains(orphan)
            }
            try await FlotillaClient.withClient(baseURL: second.url, apiKey: second.apiKey) { client in
                try await eventually("the VM runs again", timeout: .seconds(120), every: .milliseconds(500)) {
                    let newPid = (try? String(contentsOfFile: pidFile, encoding: .utf8)).flatMap {
                        Int32($0.trimmingCharacters(in: .whitespacesAndNewlines))
                    }
                    return try await client.instance(id: id).state == "running" && newPid != nil && newPid != pid
                        && KVMTestSupport.isAlive(newPid ?? 0)
                }
                #expect(try await client.vm(uuid: id).ipAddress == fixed)
                // It answers on its address again (the guest boots under TCG: a generous cap).
                try await eventually("the VM answers ping at \(fixed)", timeout: .seconds(480), every: .seconds(2)) {
                    try await ns.run(["busybox", "ping", "-c", "1", fixed], timeout: .seconds(5)).status == 0
                }
                #expect(try await Self.taps(ns).count == 1)
                _ = try await client.deleteInstance(id: id, force: true, wait: true)
                try await eventually("no tap after delete", timeout: .seconds(60), every: .milliseconds(500)) {
                    try await Self.taps(ns).isEmpty
                }
            }
        }
    }

    // MARK: Helpers

    static func serveArguments(_ ns: NetworkNamespace) -> [String] {
        VMProcessSupport.kvmArguments + ["--network", "vmnet=10.77.0.0/24", "--vm-netns", ns.name]
    }

    /// A namespace (deleted last), a data folder (its QEMUs killed before), a kvm host on vmnet, the guest imported.
    static func start(
        _ stack: FixtureStack, label: String, guest: GuestImageFixture.Guest, stopSignal: Int32
    ) async throws -> (ServeProcess, NetworkNamespace) {
        let ns = try await NetworkNamespace.isolated(label)
        await stack.push("namespace \(ns.name)") { await ns.remove() }
        let dir = await VMProcessSupport.dataFolder(stack, label: label)
        let host = try await stack.serve(dataDir: dir, extra: serveArguments(ns), backends: "sim,kvm", stopSignal: stopSignal)
        try await VMProcessSupport.importGuest(host, guest)
        return (host, ns)
    }

    static func request(_ name: String, address: String?, arguments: String) -> Compute.CreateRequest {
        VMProcessSupport.request(
            name,
            config: Compute.Config(
                image: VMProcessSupport.guestImage, networks: [.init(network: "vmnet", address: address)],
                kernelArguments: arguments.isEmpty ? nil : arguments + " flotilla.pingtries=\(pingTries)"))
    }

    /// The names of Flotilla's VM devices in the namespace (not the bridge fl-vmnet).
    static func taps(_ ns: NetworkNamespace) async throws -> [String] {
        try await ns.links().map(\.name).filter { NetworkInterface.owner(ofHostDevice: $0) != nil }
    }
}
