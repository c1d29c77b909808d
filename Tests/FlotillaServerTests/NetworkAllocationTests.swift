import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaTestSupport
import Foundation
import Testing

/// Addresses on the cluster's VM networks through the HTTP API, on SQLite (docs/decisions/0025-vm-networks.md): a
/// create gets an address from the network (a fixed one, or the lowest free), a delete frees it at once, a refused
/// create changes nothing and answers in the surface's own error format; `/api/v2/networks` shows the networks and
/// their allocations.
@Suite("Network allocation over HTTP", .serialized)
struct NetworkAllocationTests {
    static let vmnet = "vmnet=10.77.0.0/24,dns=10.77.0.1+9.9.9.9"

    static func withNetworks(_ body: @escaping @Sendable (HTTPProbe, TestHost) async throws -> Void) async throws {
        // A literal definition that parses; configure cannot throw.
        // swift-format-ignore: NeverUseForceTry
        try await withProbe(configure: { $0.networks = [try! NetworkDefinition.parse(Self.vmnet)] }, body)
    }

    /// A surface A create body of a sim instance with one interface on `network` (at `address` when given).
    static func body(_ name: String, network: String = "vmnet", address: String? = nil, extra: String = "") -> String {
        let fixed = address.map { #","address":"\#($0)""# } ?? ""
        return
            #"{"name":"\#(name)","backend":"sim","config":{"image":"busybox","networks":[{"network":"\#(network)"\#(fixed)}]\#(extra)},"resources":{"cpu":{"cores":0.5},"memory":{"limit":67108864}}}"#
    }

    static func interfaces(_ reply: Reply) -> [[String: any Sendable]] {
        ((reply.json["config"] as? [String: any Sendable])?["networks"] as? [[String: any Sendable]]) ?? []
    }

    @Test("a fixed address is held until its instance is deleted, then a new instance can take it; free ones go lowest first")
    func createDeleteReuse() async throws {
        try await Self.withNetworks { api, host in
            let a = try await api.post("/api/v1/compute/instances", Self.body("net-a", address: "10.77.0.10"))
            #expect(a.status == 201, "\(a.text)")
            let aId = try #require(a["id"])
            #expect(Self.interfaces(a).first?["address"] as? String == "10.77.0.10")
            #expect(
                Self.interfaces(a).first?["mac"] as? String
                    == NetworkInterface.derivedMAC(network: "vmnet", address: IPv4Address("10.77.0.10")!))
            let b = try await api.post("/api/v1/compute/instances", Self.body("net-b"))
            #expect(b.status == 201, "\(b.text)")
            #expect(Self.interfaces(b).first?["address"] as? String == "10.77.0.2", "the lowest host address past the gateway")

            let taken = try await api.post("/api/v1/compute/instances", Self.body("net-c", address: "10.77.0.10"))
            #expect(taken.status == 409, "\(taken.text)")
            #expect(taken.errorCode == "NAME_CONFLICT")
            #expect((taken.error["message"] as? String)?.contains("address 10.77.0.10 on network vmnet is in use") == true, "\(taken.text)")
            let details = taken.error["details"] as? [String: any Sendable]
            #expect(details?["network"] as? String == "vmnet" && details?["address"] as? String == "10.77.0.10", "\(taken.text)")

            let list = try await api.get("/api/v2/networks")
            #expect(list.status == 200)
            let items = try #require(list.json["items"] as? [[String: any Sendable]])
            #expect(items.count == 1)
            #expect(items.first?["name"] as? String == "vmnet" && items.first?["cidr"] as? String == "10.77.0.0/24")
            #expect(items.first?["gateway"] as? String == "10.77.0.1" && items.first?["bridge"] as? String == "fl-vmnet")
            #expect(items.first?["managed"] as? Bool == true && items.first?["addresses_in_use"] as? Int == 2)
            #expect(items.first?["nameservers"] as? [String] == ["10.77.0.1", "9.9.9.9"])
            let detail = try await api.get("/api/v2/networks/vmnet")
            let allocations = try #require(detail.json["allocations"] as? [[String: any Sendable]])
            #expect(allocations.map { $0["address"] as? String } == ["10.77.0.2", "10.77.0.10"])
            #expect(allocations.map { $0["instance_name"] as? String } == ["net-b", "net-a"])
            #expect(allocations.last?["instance_id"] as? String == aId)

            let deleted = try await api.delete("/api/v1/compute/instances/\(aId)")
            #expect(deleted.status == 200, "\(deleted.text)")
            #expect(try await host.host.store.get(StoreKeys.address(network: "vmnet", IPv4Address("10.77.0.10")!)) == nil)
            let c = try await api.post("/api/v1/compute/instances", Self.body("net-c", address: "10.77.0.10"))
            #expect(c.status == 201, "the deleted instance's address is free again: \(c.text)")
            let held = try await host.host.store.get(StoreKeys.address(network: "vmnet", IPv4Address("10.77.0.10")!))
            #expect(held.map { String(decoding: $0.value, as: UTF8.self) } == c["id"])
            let after = try await api.get("/api/v2/networks/vmnet")
            #expect((after.json["allocations"] as? [[String: any Sendable]])?.map { $0["instance_name"] as? String } == ["net-b", "net-c"])
        }
    }

    @Test("an address another host claimed (its key written, not yet in this registry) is skipped, or refused when fixed")
    func lostRaceChoosesAgain() async throws {
        try await Self.withNetworks { api, host in
            // What a create on another host looks like from here before the registry applied it: the key alone.
            let claimed = StoreKeys.address(network: "vmnet", IPv4Address("10.77.0.2")!)
            try await host.host.store.put(claimed, value: Data("elsewhere".utf8), lease: nil)
            let free = try await api.post("/api/v1/compute/instances", Self.body("race-a"))
            #expect(free.status == 201, "\(free.text)")
            #expect(Self.interfaces(free).first?["address"] as? String != "10.77.0.2", "\(free.text)")
            let fixed = try await api.post("/api/v1/compute/instances", Self.body("race-b", address: "10.77.0.2"))
            #expect(fixed.status == 409 && fixed.errorCode == "NAME_CONFLICT", "\(fixed.text)")
            #expect(try await host.host.store.get(claimed).map { String(decoding: $0.value, as: UTF8.self) } == "elsewhere")
            #expect(host.host.registry.snapshot.liveInstances.map(\.name) == ["race-a"])
        }
    }

    @Test("unknown network, address outside the range or reserved: 400 on the interface's field; taken: 409; nothing is created")
    func refusals() async throws {
        try await Self.withNetworks { api, host in
            #expect(try await api.post("/api/v1/compute/instances", Self.body("holder", address: "10.77.0.20")).status == 201)
            let before = host.host.registry.snapshot.liveInstances.count
            let cases: [(String, Int, String, String)] = [
                (Self.body("r1", network: "nonet"), 400, "config.networks[0].network", "network nonet is not defined"),
                (Self.body("r2", address: "10.78.0.5"), 400, "config.networks[0].address", "is not in network vmnet"),
                (Self.body("r3", address: "10.77.0.1"), 400, "config.networks[0].address", "reserved"),
                (Self.body("r4", address: "10.77.0.255"), 400, "config.networks[0].address", "reserved"),
                (Self.body("r5", network: "Bad_Name"), 400, "config.networks[0].network", "not a network name"),
                (Self.body("r6", extra: #","rootImage":"no-such-image""#), 400, "config.rootImage", "not in the image catalog"),
                (
                    Self.body("r7", extra: #","disks":[{"id":"data","image":"ubuntu-22.04"}]"#), 400, "config.disks[data].image",
                    "does not hold a disk"
                ),
                (Self.body("r8", address: "10.77.0.20"), 409, "", "address 10.77.0.20 on network vmnet is in use"),
            ]
            for (body, status, field, says) in cases {
                // Surface D takes the same interfaces (its other config fields are snake_case: surface A only here).
                let paths =
                    body.contains("rootImage") || body.contains("disks")
                    ? ["/api/v1/compute/instances"] : ["/api/v1/compute/instances", "/api/v2/vms"]
                for path in paths {
                    let json = path == "/api/v2/vms" ? Self.global(body) : body
                    let r = try await api.post(path, json)
                    #expect(r.status == status, "\(path) \(json): \(r.text)")
                    #expect(r.errorCode == (status == 409 ? "NAME_CONFLICT" : "VALIDATION_ERROR"), "\(r.text)")
                    #expect((r.error["message"] as? String)?.contains(says) == true, "\(r.text)")
                    if !field.isEmpty {
                        #expect((r.error["details"] as? [String: any Sendable])?["field"] as? String == field, "\(r.text)")
                    }
                }
            }
            // Surface C: its own 409 body.
            let vm = try await api.post(
                "/api/v1/vms",
                #"{"name":"r-vm","flavor_id":"m1.tiny","image_id":"ubuntu-22.04","network_id":"vmnet","ip_address":"10.77.0.20"}"#)
            #expect(vm.status == 409, "\(vm.text)")
            #expect(vm.json["error"] as? String == "NAME_CONFLICT", "\(vm.text)")
            #expect(host.host.registry.snapshot.liveInstances.count == before, "a refused create records nothing")
            let keys = try await host.host.store.range(prefix: StoreKeys.addresses)
            #expect(keys.kvs.map(\.key) == [StoreKeys.address(network: "vmnet", IPv4Address("10.77.0.20")!)])
            let missing = try await api.get("/api/v2/networks/nonet")
            #expect(missing.status == 404 && missing.errorCode == "NOT_FOUND", "\(missing.text)")
        }
    }

    /// A surface A create body as surface D takes it: the config's fields at the top level.
    static func global(_ body: String) -> String {
        guard var object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
            let config = object.removeValue(forKey: "config") as? [String: Any]
        else { return body }
        object.removeValue(forKey: "resources")
        object["resources"] = ["cpu_cores": 0.5, "memory_mb": 64]
        for (key, value) in config { object[key] = value }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    @Test("a host declaring a network the cluster defines otherwise does not start, and names both definitions")
    func conflictingDeclaration() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-net-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await TestHost.with(
            dataDir: dir, keepData: true, configure: { $0.networks = [try! NetworkDefinition.parse("vmnet=10.77.0.0/24")] }
        ) {
            _ in
        }
        // The same definition again: fine.
        try await TestHost.with(
            dataDir: dir, keepData: true, configure: { $0.networks = [try! NetworkDefinition.parse("vmnet=10.77.0.0/24")] }
        ) {
            host in
            #expect(host.host.registry.snapshot.networks["vmnet"]?.cidr.description == "10.77.0.0/24")
        }
        do {
            try await TestHost.with(
                dataDir: dir, keepData: true, configure: { $0.networks = [try! NetworkDefinition.parse("vmnet=10.88.0.0/16,bridge=br0")] }
            ) { _ in }
            Issue.record("a host with a different definition of vmnet started")
        } catch {
            let text = "\(error)"
            #expect(text.contains("vmnet=10.88.0.0/16,gateway=10.88.0.1,bridge=br0"), "\(text)")
            #expect(text.contains("vmnet=10.77.0.0/24,gateway=10.77.0.1"), "\(text)")
        }
    }
}
