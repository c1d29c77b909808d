import FlotillaAPI
import FlotillaClient
import FlotillaCore
import FlotillaStore
import FlotillaTestSupport
import Foundation
import Testing

/// Addresses unique across the cluster under concurrent creates (issue 16, docs/decisions/0025-vm-networks.md):
/// three `flotilla serve` processes on a real 3-member etcd, all declaring the same network, take creates at the
/// same time; the store's address keys, not any host's registry, decide who gets which address.
@Suite("Network allocation on three hosts", .serialized, .enabled(if: EtcdCluster.testsEnabled, "etcd is not installed"))
struct NetworkAllocationProcessTests {
    static let key = "flt_network_process_test_key_0123"
    static let network = "vmnet=10.77.0.0/26"
    /// More creates than addresses a create may lose a race for (``InstanceService/addressAttempts`` is 16).
    static let creates = 24

    func client<T: Sendable>(_ host: ServeProcess, _ body: (FlotillaClient) async throws -> T) async throws -> T {
        try await FlotillaClient.withClient(baseURL: host.url, apiKey: Self.key, timeout: .seconds(60), body)
    }

    static func request(_ name: String) -> Compute.CreateRequest {
        Compute.CreateRequest(
            name: name, backend: "sim", config: .init(image: "busybox", networks: [.init(network: "vmnet")]),
            resources: .init(cpu: .init(cores: 0.1), memory: .init(limit: 16 << 20)))
    }

    /// The address keys in etcd, read directly: address -> instance id.
    static func addressKeys(_ etcd: EtcdCluster) async throws -> [String: String] {
        let store = try etcd.store()
        do {
            let range = try await store.range(prefix: StoreKeys.addresses)
            try? await store.close()
            return Dictionary(
                uniqueKeysWithValues: range.kvs.map {
                    (String($0.key.dropFirst(StoreKeys.addresses.count)), String(decoding: $0.value, as: UTF8.self))
                })
        } catch {
            try? await store.close()
            throw error
        }
    }

    @Test("24 concurrent creates over three hosts: every instance has an address, all distinct, one key each; deletes free them all")
    func concurrentCreatesGetDistinctAddresses() async throws {
        try await FixtureStack.with { stack in
            let etcd = try await stack.etcd()
            let dir = try await stack.temporaryDirectory("netalloc")
            var hosts: [ServeProcess] = []
            for i in 1...3 {
                hosts.append(
                    try await stack.serve(
                        dataDir: "\(dir)/h\(i)", apiKey: Self.key,
                        extra: etcd.serveArguments + [
                            "--cluster-secret", "test-secret", "--host-id", "h\(i)", "--network", Self.network,
                        ] + FaultCluster.fastBounds,
                        stopSignal: SIGKILL))
            }
            // Every host sees the one definition, written once.
            for host in hosts {
                let list = try await client(host) { try await $0.networks() }
                #expect(list.items.map(\.name) == ["vmnet"] && list.items.first?.cidr == "10.77.0.0/26")
            }
            // A leader must be elected before creates are placed: creates are recorded (and addressed) even before.
            let hostList = hosts
            let created = try await withThrowingTaskGroup(of: Compute.Instance.self) { group in
                for i in 0..<Self.creates {
                    group.addTask {
                        try await self.client(hostList[i % 3]) { try await $0.createInstance(Self.request("n\(i)"), wait: false).instance }
                    }
                }
                var out: [Compute.Instance] = []
                for try await instance in group { out.append(instance) }
                return out
            }
            #expect(created.count == Self.creates)
            let addresses = created.compactMap { $0.config.networks?.first?.address }
            #expect(addresses.count == Self.creates, "every instance has an address: \(created.map { $0.config.networks ?? [] })")
            #expect(Set(addresses).count == Self.creates, "all distinct: \(addresses.sorted())")
            #expect(addresses.allSatisfy { IPv4Network("10.77.0.0/26")!.contains(IPv4Address($0)!) && $0 != "10.77.0.1" })
            #expect(Set(created.compactMap { $0.config.networks?.first?.mac }).count == Self.creates, "MACs distinct too")

            let keys = try await Self.addressKeys(etcd)
            #expect(keys.count == Self.creates, "one address key per live instance: \(keys.keys.sorted())")
            for instance in created {
                let address = instance.config.networks?.first?.address ?? "-"
                #expect(keys["vmnet/\(address)"] == instance.id, "the key of \(address) names its instance")
            }
            // Every host shows the same allocations.
            for host in hosts {
                try await eventually("\(host.url) shows \(Self.creates) allocations", timeout: .seconds(20)) {
                    (try? await self.client(host) { try await $0.network(name: "vmnet") })?.allocations.count == Self.creates
                }
            }

            // `flotilla network list`: the table and the JSON of /api/v2/networks.
            let table = try await hosts[1].cli(["network", "list"])
            #expect(table.status == 0, "\(table.err)")
            #expect(table.out.contains("NAME") && table.out.contains("IN USE"), "\(table.out)")
            let row = table.out.split(separator: "\n").first { $0.hasPrefix("vmnet") }.map(String.init) ?? ""
            #expect(
                row.contains("10.77.0.0/26") && row.contains("fl-vmnet (managed)") && row.split(separator: " ").last == "\(Self.creates)",
                "\(table.out)")
            let json = try await hosts[2].cli(["network", "list", "--output", "json"])
            let decoded = try JSONDecoder().decode(Global.NetworkList.self, from: Data(json.out.utf8))
            #expect(decoded.items.first?.addressesInUse == Self.creates, "\(json.out)")
            #expect(try await hosts[0].cli(["network", "list", "-q"]).out == "vmnet\n")

            try await withThrowingTaskGroup(of: Void.self) { group in
                for (i, instance) in created.enumerated() {
                    group.addTask {
                        _ = try await self.client(hostList[(i + 1) % 3]) { try await $0.deleteInstance(id: instance.id, wait: false) }
                    }
                }
                try await group.waitForAll()
            }
            // Deletes finish once each instance's host removed it (the sim: at once); the keys go with them.
            try await eventually("every address released", timeout: .seconds(60), every: .milliseconds(200)) {
                let detail = try? await self.client(hosts[2]) { try await $0.network(name: "vmnet") }
                return detail?.allocations.isEmpty == true && detail?.network.addressesInUse == 0
            }
            #expect(try await Self.addressKeys(etcd).isEmpty, "no address key left")
        }
    }

    @Test("serve --network with a bad value exits 2 naming it; a start whose definition differs from the cluster's fails naming both")
    func badAndConflictingDeclarations() async throws {
        try await FixtureStack.with { stack in
            let dir = try await stack.temporaryDirectory("netflag")
            let bad = try await ServeProcess.runUntilExit(dataDir: "\(dir)/bad", extra: ["--network", "vmnet=10.77.0.1/24"])
            #expect(bad.status == 2, "\(bad.err)")
            #expect(bad.err.contains("\"10.77.0.1/24\" is not an IPv4 CIDR"), "\(bad.err)")
            let twice = try await ServeProcess.runUntilExit(
                dataDir: "\(dir)/bad", environment: ["FLOTILLA_NETWORKS": "a=10.1.0.0/24;a=10.2.0.0/24"])
            #expect(twice.status == 2 && twice.err.contains("network a is given twice"), "\(twice.err)")

            let first = try await stack.serve(dataDir: "\(dir)/one", apiKey: Self.key, extra: ["--network", "vmnet=10.77.0.0/24"])
            await first.stop()
            let other = try await ServeProcess.runUntilExit(
                dataDir: "\(dir)/one", apiKey: Self.key, environment: ["FLOTILLA_NETWORKS": "vmnet=10.77.0.0/24,gateway=10.77.0.254"])
            #expect(other.status == 1, "\(other.err)")
            #expect(other.err.contains("vmnet=10.77.0.0/24,gateway=10.77.0.254"), "\(other.err)")
            #expect(other.err.contains("vmnet=10.77.0.0/24,gateway=10.77.0.1"), "\(other.err)")
        }
    }
}
