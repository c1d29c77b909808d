import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaTestSupport
import Foundation
import Testing

/// The VM network and disk fields on surfaces A, C and D (docs/decisions/0025-vm-networks.md and
/// 0026-vm-disks.md): each surface takes them in its own spelling, the instance shows the address and MAC it was
/// given, and bad input is answered in the surface's own error format without creating anything.
@Suite("VM networks and disks on surfaces A, C and D", .serialized)
struct VMNetworkSurfaceTests {
    /// Runs `body` on a host whose store holds the networks `vmnet` (10.77.0.0/24, gateway 10.77.0.1) and `appnet`
    /// (10.78.0.0/24) and two catalog entries, an initrd alone (`t-initrd`) and a disk alone (`t-disk`), written as
    /// `serve --network` and `flotilla image import` write them.
    static func withNetwork(_ body: @escaping @Sendable (HTTPProbe, TestHost) async throws -> Void) async throws {
        try await withProbe { api, host in
            let store = host.host.store
            for text in ["vmnet=10.77.0.0/24", "appnet=10.78.0.0/24"] {
                let network = try NetworkDefinition.parse(text)
                _ = try await store.put(StoreKeys.network(network.name), value: try StoreCodec.encode(network))
            }
            let now = Date()
            let initrd = Image(
                id: "t-initrd", name: "t-initrd", osDistro: "", osVersion: "", createdAt: now,
                artifacts: ImageArtifacts(initrdPath: "/srv/t/initrd.img"))
            _ = try await store.put(StoreKeys.image(initrd.id), value: try StoreCodec.encode(initrd))
            let disk = Image(
                id: "t-disk", name: "t-disk", osDistro: "", osVersion: "", createdAt: now,
                artifacts: ImageArtifacts(rootDiskPath: "/srv/t/disk.qcow2", rootDiskFormat: "qcow2"))
            let revision = try await store.put(StoreKeys.image(disk.id), value: try StoreCodec.encode(disk))
            #expect(await host.host.registry.waitForRevision(revision, timeout: .seconds(10)))
            try await body(api, host)
        }
    }

    static func mac(_ address: String, network: String = "vmnet") -> String {
        // The tests pass literal addresses.
        // swift-format-ignore: NeverForceUnwrap
        NetworkInterface.derivedMAC(network: network, address: IPv4Address(address)!)
    }

    static func dictionary(_ value: Any?) -> [String: Any] { value as? [String: Any] ?? [:] }
    static func list(_ value: Any?) -> [[String: Any]] { value as? [[String: Any]] ?? [] }

    /// The field a 400 names (a list position by its index, `config.networks.0.network`).
    static func field(_ reply: Reply) -> String? { dictionary(reply.error["details"])["field"] as? String }

    /// The number of live instances: a refused create must leave it as it was.
    static func liveCount(_ host: TestHost) -> Int { host.host.registry.read { $0.liveInstances.count } }

    @Test("surface A: config.networks, disks, kernelArguments, initrdImage and rootImage are taken and shown with the addresses")
    func computeFields() async throws {
        try await Self.withNetwork { api, _ in
            let r = try await api.post(
                "/api/v1/compute/instances",
                #"{"name":"net-a","type":"vm","backend":"sim","config":{"image":"busybox","networks":[{"network":"vmnet","address":"10.77.0.10"},{"network":"appnet"}],"disks":[{"id":"data","sizeBytes":8000000},{"id":"base","image":"t-disk","readOnly":true}],"kernelArguments":"console=ttyS0 quiet","initrdImage":"t-initrd","rootImage":"t-disk"},"resources":{"cpu":{"cores":0.5},"memory":{"limit":67108864}}}"#
            )
            #expect(r.status == 201, "\(r.text)")
            let id = try #require(r["id"])
            for reply in [r, try await api.get("/api/v1/compute/instances/\(id)")] {
                let config = Self.dictionary(reply.json["config"])
                let networks = Self.list(config["networks"])
                #expect(networks.count == 2, "\(reply.text)")
                #expect(networks.first?["network"] as? String == "vmnet")
                #expect(networks.first?["address"] as? String == "10.77.0.10", "the fixed address")
                #expect(networks.first?["mac"] as? String == Self.mac("10.77.0.10"))
                let allocated = try #require(networks.last?["address"] as? String, "an allocated address: \(reply.text)")
                #expect(networks.last?["network"] as? String == "appnet")
                #expect(allocated == "10.78.0.2", "the lowest free host address past the gateway")
                #expect(networks.last?["mac"] as? String == Self.mac(allocated, network: "appnet"))
                let disks = Self.list(config["disks"])
                #expect(disks.map { $0["id"] as? String } == ["data", "base"])
                #expect(disks.first?["sizeBytes"] as? Int == 8_000_000 && disks.first?["readOnly"] as? Bool == false)
                #expect(disks.last?["image"] as? String == "t-disk" && disks.last?["readOnly"] as? Bool == true)
                #expect(config["kernelArguments"] as? String == "console=ttyS0 quiet")
                #expect(config["initrdImage"] as? String == "t-initrd" && config["rootImage"] as? String == "t-disk")
            }
            // The same instance on the other surfaces: surface C's ip_address is the first interface's address.
            let vm = try await api.get("/api/v1/vms/\(id)")
            #expect(vm.status == 200, "\(vm.text)")
            #expect(vm["ip_address"] == "10.77.0.10")
            let record = try await api.get("/api/v2/vms/\(id)")
            let spec = Self.dictionary(record.json["spec"])
            #expect(Self.list(spec["networks"]).map { $0["address"] as? String } == ["10.77.0.10", "10.78.0.2"], "\(record.text)")
            #expect(Self.list(spec["disks"]).first?["size_bytes"] as? Int == 8_000_000)
            #expect(Self.list(spec["disks"]).last?["read_only"] as? Bool == true)
            #expect(spec["kernel_arguments"] as? String == "console=ttyS0 quiet")
            #expect(spec["initrd_image"] as? String == "t-initrd" && spec["root_image"] as? String == "t-disk")
        }
    }

    @Test(
        "surface A refuses malformed network and disk fields with 400 VALIDATION_ERROR naming the field; nothing is created",
        arguments: [
            (#"[{"network":"vmnet","address":"10.77.0.300"}]"#, #""disks":[]"#, "config.networks[0].address"),
            (#"[{"network":"vmnet","mode":"bridge"}]"#, #""disks":[]"#, "config.networks[0].mode"),
            (#"[{"address":"10.77.0.5"}]"#, #""disks":[]"#, "config.networks.0.network"),
            (#""vmnet""#, #""disks":[]"#, "config.networks"),
            (#"[{"network":"vmnet","address":10}]"#, #""disks":[]"#, "config.networks.0.address"),
            ("[]", #""disks":[{"id":"d","sizeBytes":"8M"}]"#, "config.disks.0.sizeBytes"),
            ("[]", #""disks":[{"id":"d","sizeBytes":1,"readOnly":"yes"}]"#, "config.disks.0.readOnly"),
            ("[]", #""kernelArguments":["quiet"]"#, "config.kernelArguments"),
        ])
    func computeRefusals(networks: String, extra: String, field: String) async throws {
        try await Self.withNetwork { api, host in
            let r = try await api.post(
                "/api/v1/compute/instances",
                #"{"name":"bad-a","backend":"sim","config":{"image":"busybox","networks":\#(networks),\#(extra)}}"#)
            #expect(r.status == 400, "\(r.text)")
            #expect(r.errorCode == "VALIDATION_ERROR", "\(r.text)")
            #expect(Self.field(r) == field, "\(r.text)")
            #expect(Self.liveCount(host) == 0)
        }
    }

    @Test("surface D: networks, disks, kernel_arguments, initrd_image and root_image on create and on the record")
    func globalFields() async throws {
        try await Self.withNetwork { api, _ in
            let r = try await api.post(
                "/api/v2/vms?wait=running",
                #"{"name":"net-d","backend":"sim","kind":"vm","image":"busybox","resources":{"cpu_cores":0.5,"memory_mb":64},"networks":[{"network":"vmnet","address":"10.77.0.20"}],"disks":[{"id":"scratch","size_bytes":1048576},{"id":"ro","image":"t-disk","read_only":true}],"kernel_arguments":"quiet","initrd_image":"t-initrd","root_image":"t-disk"}"#
            )
            #expect(r.status == 201, "\(r.text)")
            let id = try #require(r["id"])
            for reply in [r, try await api.get("/api/v2/vms/\(id)")] {
                let spec = Self.dictionary(reply.json["spec"])
                let networks = Self.list(spec["networks"])
                #expect(networks.count == 1, "\(reply.text)")
                #expect(networks.first?["network"] as? String == "vmnet" && networks.first?["address"] as? String == "10.77.0.20")
                #expect(networks.first?["mac"] as? String == Self.mac("10.77.0.20"))
                let disks = Self.list(spec["disks"])
                #expect(disks.first?["id"] as? String == "scratch" && disks.first?["size_bytes"] as? Int == 1_048_576)
                #expect(disks.last?["image"] as? String == "t-disk" && disks.last?["read_only"] as? Bool == true)
                #expect(spec["kernel_arguments"] as? String == "quiet")
                #expect(spec["initrd_image"] as? String == "t-initrd" && spec["root_image"] as? String == "t-disk")
            }
            let compute = try await api.get("/api/v1/compute/instances/\(id)")
            #expect(Self.list(Self.dictionary(compute.json["config"])["networks"]).first?["address"] as? String == "10.77.0.20")
            // An instance without networks shows none: the fields are left out, not empty.
            let plain = try await api.post(
                "/api/v2/vms", #"{"name":"plain-d","backend":"sim","image":"busybox","resources":{"memory_mb":64}}"#)
            let plainSpec = Self.dictionary(plain.json["spec"])
            #expect(plainSpec["networks"] == nil && plainSpec["disks"] == nil && plainSpec["kernel_arguments"] == nil, "\(plain.text)")
        }
    }

    @Test(
        "surface D refuses malformed network and disk fields with 400 VALIDATION_ERROR naming the field; nothing is created",
        arguments: [
            (#""networks":[{"network":"vmnet","address":"ten"}]"#, "networks[0].address"),
            (#""networks":[{"network":"vmnet","mode":"tun"}]"#, "networks[0].mode"),
            (#""networks":{"network":"vmnet"}"#, "networks"),
            (#""disks":[{"id":"d","size_bytes":1,"read_only":"yes"}]"#, "disks.0.read_only"),
            (#""disks":[{"size_bytes":1}]"#, "disks.0.id"),
            (#""initrd_image":7"#, "initrd_image"),
        ])
    func globalRefusals(fields: String, field: String) async throws {
        try await Self.withNetwork { api, host in
            let r = try await api.post("/api/v2/vms", #"{"name":"bad-d","backend":"sim","image":"busybox",\#(fields)}"#)
            #expect(r.status == 400, "\(r.text)")
            #expect(r.errorCode == "VALIDATION_ERROR", "\(r.text)")
            #expect(Self.field(r) == field, "\(r.text)")
            #expect(Self.liveCount(host) == 0)
        }
    }

    @Test("surface C: a Flotilla network_id gives an interface and ip_address (fixed or allocated); any other id is only kept")
    func vmNetworkId() async throws {
        try await Self.withNetwork { api, _ in
            let fixed = try await api.post(
                "/api/v1/vms",
                #"{"name":"c-fixed","flavor_id":"m1.tiny","image_id":"ubuntu-22.04","network_id":"vmnet","ip_address":"10.77.0.30"}"#)
            #expect(fixed.status == 201, "\(fixed.text)")
            let fixedId = try #require(fixed["uuid"])
            #expect(fixed["ip_address"] == "10.77.0.30")
            #expect(try await api.get("/api/v1/vms/\(fixedId)")["ip_address"] == "10.77.0.30")
            let record = try await api.get("/api/v2/vms/\(fixedId)")
            let spec = Self.dictionary(record.json["spec"])
            #expect(Self.list(spec["networks"]).first?["mac"] as? String == Self.mac("10.77.0.30"), "\(record.text)")
            #expect(Self.dictionary(spec["metadata"])["vm.network_id"] as? String == "vmnet", "the id is kept as before")

            let allocated = try await api.post(
                "/api/v1/vms", #"{"name":"c-alloc","flavor_id":"m1.tiny","image_id":"ubuntu-22.04","network_id":"vmnet"}"#)
            #expect(allocated.status == 201, "\(allocated.text)")
            let address = try #require(allocated["ip_address"], "an allocated address: \(allocated.text)")
            #expect(address.hasPrefix("10.77.0.") && address != "10.77.0.30" && address != "10.77.0.1", "\(address)")

            // openstack-vm-api's own clients send network ids of their own: kept, no interface, no address.
            let foreign = try await api.post(
                "/api/v1/vms", #"{"name":"c-foreign","flavor_id":"m1.tiny","image_id":"ubuntu-22.04","network_id":"net-7f3a"}"#)
            #expect(foreign.status == 201, "\(foreign.text)")
            #expect(foreign.json["ip_address"] is NSNull, "\(foreign.text)")
            let foreignRecord = try await api.get("/api/v2/vms/\(try #require(foreign["uuid"]))")
            let foreignSpec = Self.dictionary(foreignRecord.json["spec"])
            #expect(foreignSpec["networks"] == nil, "\(foreignRecord.text)")
            #expect(Self.dictionary(foreignSpec["metadata"])["vm.network_id"] as? String == "net-7f3a")

            // A taken fixed address: 409 in surface C's error format.
            let taken = try await api.post(
                "/api/v1/vms",
                #"{"name":"c-taken","flavor_id":"m1.tiny","image_id":"ubuntu-22.04","network_id":"vmnet","ip_address":"10.77.0.30"}"#)
            #expect(taken.status == 409, "\(taken.text)")
            #expect(taken["error"] == "NAME_CONFLICT", "\(taken.text)")
        }
    }

    @Test(
        "surface C refuses an ip_address without a Flotilla network, or that is not an IPv4 address, with a 422 naming it",
        arguments: [
            (#","network_id":"net-7f3a","ip_address":"10.77.0.40""#, "value_error", "10.77.0.40"),
            (#","ip_address":"10.77.0.40""#, "value_error", "10.77.0.40"),
            (#","network_id":"vmnet","ip_address":"10.77.0""#, "value_error", "10.77.0"),
            (#","network_id":"vmnet","ip_address":"10.77.0.40/24""#, "value_error", "10.77.0.40/24"),
        ])
    func vmRefusals(extra: String, type: String, input: String) async throws {
        try await Self.withNetwork { api, host in
            let r = try await api.post("/api/v1/vms", #"{"name":"c-bad","flavor_id":"m1.tiny","image_id":"ubuntu-22.04"\#(extra)}"#)
            #expect(r.status == 422, "\(r.text)")
            let issues = Self.list(r.json["detail"])
            #expect(issues.count == 1, "\(r.text)")
            #expect(issues.first?["type"] as? String == type)
            #expect(issues.first?["loc"] as? [String] == ["body", "ip_address"], "\(r.text)")
            #expect(issues.first?["input"] as? String == input)
            #expect(Self.liveCount(host) == 0)
        }
    }

    @Test("surface C: ip_address of the wrong type is a 422 string_type; the message names the networks there are")
    func vmRefusalMessages() async throws {
        try await Self.withNetwork { api, _ in
            let number = try await api.post(
                "/api/v1/vms", #"{"name":"c-bad","flavor_id":"m1.tiny","image_id":"ubuntu-22.04","network_id":"vmnet","ip_address":7}"#)
            #expect(number.status == 422)
            #expect(
                number.text
                    == #"{"detail":[{"input":7,"loc":["body","ip_address"],"msg":"Input should be a valid string","type":"string_type"}]}"#)
            let foreign = try await api.post(
                "/api/v1/vms",
                #"{"name":"c-bad","flavor_id":"m1.tiny","image_id":"ubuntu-22.04","network_id":"x","ip_address":"10.77.0.40"}"#)
            #expect(
                foreign.text
                    == #"{"detail":[{"input":"10.77.0.40","loc":["body","ip_address"],"msg":"Value error, ip_address needs network_id to name a Flotilla network (appnet, vmnet)","type":"value_error"}]}"#
            )
        }
    }
}
