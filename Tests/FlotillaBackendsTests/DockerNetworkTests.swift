import FlotillaBackends
import FlotillaCore
import FlotillaTestSupport
import Foundation
import Logging
import Testing

/// Docker instances on Flotilla networks, on a real dockerd of the test's own running in a network namespace of
/// its own (``DockerRestartableDaemon`` with `inNetworkNamespace`): every bridge these tests make is inside it.
@Suite(.docker, .serialized) struct DockerNetworkTests {
    /// A busybox shell: pings `peer` until it answers (at most 100 tries), then the gateway, prints the results and
    /// its own eth0, then waits (ending at once on SIGTERM).
    static func pinger(peer: String, gateway: String) -> [String] {
        let script = """
            i=0; while [ $i -lt 100 ]; do if busybox ping -c 1 -W 1 \(peer) >/dev/null 2>&1; then echo "reached \(peer)"; break; fi; \
            i=$((i+1)); done
            busybox ping -c 1 -W 2 \(gateway) >/dev/null 2>&1 && echo "reached gateway \(gateway)"
            busybox ip -4 -o addr show eth0; busybox ip -o link show eth0
            trap 'exit 0' TERM; sleep 3600 & wait
            """
        return ["sh", "-c", script]
    }

    static func request(id: String, command: [String], networks: [String: NetworkDefinition], _ interfaces: [NetworkInterface])
        -> BackendCreateRequest
    {
        BackendCreateRequest(
            id: id, name: "net-\(id.prefix(8))", kind: .container,
            spec: InstanceSpec(
                config: InstanceConfig(image: DockerFixture.image, command: command, networks: interfaces),
                resources: DockerFixtures.resources),
            networks: networks)
    }

    static func interface(_ network: NetworkDefinition, _ address: String) -> NetworkInterface {
        // The tests pass literal addresses.
        // swift-format-ignore: NeverForceUnwrap
        let address = IPv4Address(address)!
        return NetworkInterface(
            network: network.name, address: address, mac: NetworkInterface.derivedMAC(network: network.name, address: address))
    }

    /// `docker network inspect` of `name`, parsed.
    static func dockerNetwork(_ daemon: DockerDaemon, _ name: String) throws -> [String: Any] {
        let (status, output) = try daemon.cli(["network", "inspect", name])
        guard status == 0 else { throw DockerFixtureError("docker network inspect \(name): \(output)") }
        let array = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]]
        return try #require(array?.first)
    }

    @Test("two containers on one Flotilla network reach each other and the gateway at the addresses Flotilla gave them")
    func twoContainersPingEachOther() async throws {
        try await DockerRestartableDaemon.with(inNetworkNamespace: true) { daemon in
            let backend = DockerBackend(configuration: .init(socketPath: daemon.socketPath))
            let network = NetworkDefinition(name: "dknet", cidr: IPv4Network("10.231.7.0/24")!)
            let a = Self.interface(network, "10.231.7.10")
            let b = Self.interface(network, "10.231.7.11")
            let ids = [UUID().uuidString.lowercased(), UUID().uuidString.lowercased()]
            for (id, (mine, peer)) in zip(ids, [(a, b), (b, a)]) {
                let command = Self.pinger(peer: "\(peer.address!)", gateway: "10.231.7.1")
                try await backend.create(Self.request(id: id, command: command, networks: ["dknet": network], [mine]))
            }
            for id in ids { try await backend.start(id: id) }

            for (id, (mine, peer)) in zip(ids, [(a, b), (b, a)]) {
                // 100 one-second pings at most; the cap is for a loaded machine.
                var console = ""
                try await eventually("instance \(id.prefix(8)) prints its eth0", timeout: .seconds(120), every: .milliseconds(500)) {
                    console = (try? await backend.console(id: id, lines: 50)) ?? ""
                    return console.contains("link/ether")
                }
                #expect(console.contains("reached \(peer.address!)"), "\(console)")
                #expect(console.contains("reached gateway 10.231.7.1"), "\(console)")
                #expect(console.contains("inet \(mine.address!)/24"), "\(console)")
                #expect(console.contains("link/ether \(mine.mac!)"), "\(console)")
                #expect(try await backend.inspect(id: id).state == .running)
            }

            // The docker network: the Flotilla network's subnet, gateway, bridge and label.
            let inspected = try Self.dockerNetwork(daemon.cli, "flotilla-dknet")
            let ipam = (inspected["IPAM"] as? [String: Any])?["Config"] as? [[String: Any]]
            #expect(ipam?.count == 1)
            #expect(ipam?.first?["Subnet"] as? String == "10.231.7.0/24")
            #expect(ipam?.first?["Gateway"] as? String == "10.231.7.1")
            #expect((inspected["Options"] as? [String: String])?["com.docker.network.bridge.name"] == "fl-dknet")
            #expect((inspected["Labels"] as? [String: String])?["io.flotilla.network"] == "dknet")
            // Its bridge, in the namespace, holds the gateway address (as a VM network's bridge does).
            #expect(try await daemon.ip(["-4", "-o", "addr", "show", "fl-dknet"]).contains("inet 10.231.7.1/24"))

            for id in ids { try await backend.delete(id: id, force: true) }
            for id in ids { #expect(try daemon.cli.containers(label: "io.flotilla.instance=\(id)").isEmpty) }
            // Chosen: the docker network stays (shared, empty, and the VMs' bridge may be on it).
            #expect(try daemon.cli.cli(["network", "inspect", "flotilla-dknet"]).status == 0)
        }
    }

    @Test("concurrent creates make the docker network once; the VMs' existing bridge is used as it is; a second network is connected")
    func concurrentCreatesAndAnExistingBridge() async throws {
        try await DockerRestartableDaemon.with(inNetworkNamespace: true) { daemon in
            let capture = LogCapture()
            let backend = DockerBackend(
                configuration: .init(socketPath: daemon.socketPath), logger: capture.logger(level: .warning))
            // The bridge a VM network's host made first, with the gateway address (HostLinks.ensureBridge).
            let shared = NetworkDefinition(name: "dkpre", cidr: IPv4Network("10.232.0.0/24")!)
            _ = try await daemon.ip(["link", "add", "fl-dkpre", "type", "bridge"])
            _ = try await daemon.ip(["addr", "add", "10.232.0.1/24", "dev", "fl-dkpre"])
            _ = try await daemon.ip(["link", "set", "fl-dkpre", "up"])
            let other = NetworkDefinition(name: "dkside", cidr: IPv4Network("10.233.0.0/28")!)
            let networks = ["dkpre": shared, "dkside": other]

            let ids = (0..<4).map { _ in UUID().uuidString.lowercased() }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (n, id) in ids.enumerated() {
                    var interfaces = [Self.interface(shared, "10.232.0.\(10 + n)")]
                    if n == 0 { interfaces.append(Self.interface(other, "10.233.0.5")) }
                    let request = Self.request(id: id, command: DockerFixtures.command, networks: networks, interfaces)
                    group.addTask { try await backend.create(request) }
                }
                try await group.waitForAll()
            }
            let made = try daemon.cli.cli(["network", "ls", "-q", "--filter", "label=io.flotilla.network=dkpre"])
            #expect(made.output.split(whereSeparator: \.isNewline).count == 1, "\(made.output)")

            try await backend.start(id: ids[0])
            // The existing bridge kept its address and carries the container.
            let addresses = try await daemon.ip(["-4", "-o", "addr", "show", "fl-dkpre"])
            #expect(addresses.components(separatedBy: "inet ").count == 2 && addresses.contains("10.232.0.1/24"), "\(addresses)")
            #expect(!(try await daemon.ip(["-o", "link", "show", "master", "fl-dkpre"])).isEmpty)
            let container = try #require(try daemon.cli.inspect("flotilla-\(ids[0])"))
            let attached = (container["NetworkSettings"] as? [String: Any])?["Networks"] as? [String: [String: Any]]
            #expect(attached?["flotilla-dkpre"]?["IPAddress"] as? String == "10.232.0.10")
            #expect(attached?["flotilla-dkside"]?["IPAddress"] as? String == "10.233.0.5")
            #expect(try await backend.inspect(id: ids[0]).state == .running)
            #expect(capture.all.isEmpty, "\(capture.all)")

            // Moved behind Flotilla's back: logged once, still running.
            #expect(try daemon.cli.cli(["network", "disconnect", "flotilla-dkside", "flotilla-\(ids[0])"]).status == 0)
            #expect(try daemon.cli.cli(["network", "connect", "--ip", "10.233.0.9", "flotilla-dkside", "flotilla-\(ids[0])"]).status == 0)
            #expect(try await backend.inspect(id: ids[0]).state == .running)
            #expect(try await backend.inspect(id: ids[0]).state == .running)
            let warnings = capture.all.filter { $0.level == .warning }
            #expect(warnings.count == 1, "\(warnings)")
            #expect(warnings.first?.details.contains("gave it 10.233.0.9, Flotilla allocated 10.233.0.5") == true, "\(warnings)")

            for id in ids { try await backend.delete(id: id, force: true) }
        }
    }

    @Test("a docker network of the same name with another subnet is a clear error, and no container is left")
    func clashingNetworkIsRefused() async throws {
        try await DockerRestartableDaemon.with(inNetworkNamespace: true) { daemon in
            let backend = DockerBackend(configuration: .init(socketPath: daemon.socketPath))
            let made = try daemon.cli.cli(["network", "create", "--subnet", "10.234.0.0/24", "flotilla-dkclash"])
            #expect(made.status == 0, "\(made.output)")
            let network = NetworkDefinition(name: "dkclash", cidr: IPv4Network("10.235.0.0/24")!)
            let id = UUID().uuidString.lowercased()
            let request = Self.request(
                id: id, command: DockerFixtures.command, networks: ["dkclash": network], [Self.interface(network, "10.235.0.7")])
            let error = await #expect(throws: BackendError.self) { try await backend.create(request) }
            guard case .failed(let message) = error else {
                Issue.record("expected a failure, got \(String(describing: error))")
                return
            }
            #expect(message.contains("with subnet 10.234.0.0/24"), "\(message)")
            #expect(message.contains("Flotilla network dkclash is 10.235.0.0/24"), "\(message)")
            #expect(message.contains("docker network rm flotilla-dkclash"), "\(message)")
            #expect(try daemon.cli.containers(label: "io.flotilla.instance=\(id)").isEmpty)
        }
    }
}
