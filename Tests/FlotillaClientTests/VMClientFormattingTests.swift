import FlotillaAPI
import FlotillaCore
import Foundation
import NIOCore
import Testing

@testable import FlotillaClient

@Suite("Surface C error bodies")
struct VMErrorMappingTests {
    @Test(
        arguments: [
            (
                404, #"{"error":"VM_NOT_FOUND","message":"VM abc not found","details":{"vm_id":"abc"},"timestamp":"2024-06-04T10:00:00Z"}"#,
                .api(status: 404, code: "VM_NOT_FOUND", message: "VM abc not found", details: ["vm_id": "abc"])
            ),
            (
                409,
                #"{"error":"INVALID_VM_STATE","message":"cannot start","details":{"current_state":"ACTIVE","requested_action":"start"},"timestamp":"2024-06-04T10:00:00.123Z"}"#,
                .api(
                    status: 409, code: "INVALID_VM_STATE", message: "cannot start",
                    details: ["current_state": "ACTIVE", "requested_action": "start"])
            ),
            (
                422,
                #"{"detail":[{"type":"missing","loc":["body","flavor_id"],"msg":"Field required","input":null},{"type":"less_than_equal","loc":["query","page_size"],"msg":"Input should be less than or equal to 100","input":"500"}]}"#,
                .api(
                    status: 422, code: "VALIDATION_ERROR",
                    message: "invalid request: flavor_id: Field required; query.page_size: Input should be less than or equal to 100",
                    details: nil)
            ),
            (
                401, #"{"detail":{"error":"AUTHENTICATION_ERROR","message":"Invalid API key","details":"the key is unknown or revoked"}}"#,
                .api(
                    status: 401, code: "AUTHENTICATION_ERROR", message: "Invalid API key",
                    details: ["reason": "the key is unknown or revoked"])
            ),
            (
                403, #"{"detail":{"error":"AUTHORIZATION_ERROR","message":"admin role required","details":""}}"#,
                .api(status: 403, code: "AUTHORIZATION_ERROR", message: "admin role required", details: nil)
            ),
            // Surface A's body still decodes as before.
            (
                404, #"{"error":{"code":"INSTANCE_NOT_FOUND","message":"no such instance"}}"#,
                .api(status: 404, code: "INSTANCE_NOT_FOUND", message: "no such instance", details: nil)
            ),
            // Neither surface: the status and the start of the body.
            (502, #"{"detail":"upstream"}"#, .api(status: 502, code: "HTTP_502", message: #"{"detail":"upstream"}"#, details: nil)),
        ] as [(Int, String, FlotillaClientError)])
    func mapsEachShape(status: Int, body: String, expected: FlotillaClientError) {
        #expect(FlotillaClient.apiError(status: status, reason: "reason", body: ByteBuffer(string: body)) == expected)
    }

    @Test(
        arguments: [
            ([VMs.ValidationIssue](), "invalid request"),
            ([.init(type: "missing", loc: ["body", "name"], msg: "Field required")], "invalid request: name: Field required"),
            (
                [.init(type: "string_type", loc: ["body", "security_groups", 1], msg: "Input should be a valid string")],
                "invalid request: security_groups[1]: Input should be a valid string"
            ),
            ([.init(type: "json_invalid", loc: ["body", 0], msg: "JSON decode error")], "invalid request: [0]: JSON decode error"),
            (
                [.init(type: "model_attributes_type", loc: ["body"], msg: "Input should be an object")],
                "invalid request: Input should be an object"
            ),
            (
                [.init(type: "enum", loc: ["query", "state"], msg: "Input should be 'ACTIVE'")],
                "invalid request: query.state: Input should be 'ACTIVE'"
            ),
        ] as [([VMs.ValidationIssue], String)])
    func validationMessages(issues: [VMs.ValidationIssue], expected: String) {
        #expect(FlotillaClient.validationMessage(issues) == expected)
    }
}

@Suite("VM create metadata")
struct VMMetadataTests {
    @Test(
        arguments: [
            ([], nil, nil),
            ([], "sim", ["backend": "sim"]),
            (["team=infra", "tier=web"], nil, ["team": "infra", "tier": "web"]),
            (["team=infra", "backend=kvm"], "kvm", ["team": "infra", "backend": "kvm"]),
            (["note=a=b"], "kvm", ["note": "a=b", "backend": "kvm"]),
        ] as [([String], String?, [String: String]?)])
    func builds(pairs: [String], backend: String?, expected: [String: String]?) throws {
        #expect(try VMMetadata.build(pairs, backend: backend) == expected)
    }

    @Test(
        arguments: [
            (["team"], nil, "invalid metadata 'team': expected KEY=VALUE"),
            (["=x"], nil, "invalid metadata '=x': expected KEY=VALUE"),
            (["a=1", "a=2"], nil, "metadata 'a' is given more than once"),
            (["backend=kvm"], "sim", "--backend sim contradicts --metadata backend=kvm"),
            ([], "docker", "unknown backend 'docker': use sim or kvm"),
        ] as [([String], String?, String)])
    func rejects(pairs: [String], backend: String?, message: String) {
        #expect(throws: InvalidInput(message)) { try VMMetadata.build(pairs, backend: backend) }
    }
}

@Suite("VM, flavor and image tables")
struct VMOutputTests {
    static let created = Date(timeIntervalSince1970: 1_717_495_200)  // 2024-06-04T10:00:00Z

    static func vm(_ name: String, uuid: String = "11111111-2222-3333-4444-555555555555", state: String = "ACTIVE") -> VMs.VM {
        VMs.VM(
            uuid: uuid, name: name, state: state, stateDescription: nil, flavorId: "m1.tiny", imageId: "debian-12",
            vcpus: 1, memoryMB: 512, diskGB: 1, ipAddress: nil, floatingIp: nil, description: nil, keyName: nil,
            createdAt: created, updatedAt: created, launchedAt: nil, terminatedAt: nil, isRunning: state == "ACTIVE",
            isStopped: state == "SHUTOFF", isTransitioning: false, status: "running", workerId: "w1", backend: "sim")
    }

    @Test(
        arguments: [
            ("web", ["web-2", "web", "Web"], "web"),
            ("Web", ["web-2", "web", "Web"], "Web"),
            ("web", ["web-2", "my-web"], nil),
            ("web", [], nil),
        ] as [(String, [String], String?)])
    func exactNameMatch(name: String, candidates: [String], expected: String?) {
        let vms = candidates.map { Self.vm($0) }
        #expect(FlotillaClient.exactMatch(name, in: vms)?.name == expected)
    }

    @Test(
        arguments: [
            (512, "512MiB"), (2048, "2GiB"), (1536, "1.5GiB"), (0, "0B"), (Int64.max, "\(Int64.max)MiB"),
        ] as [(Int64, String)])
    func megabytes(value: Int64, text: String) {
        #expect(OutputFormatter.megabytes(value) == text)
    }

    @Test(
        arguments: [
            ("stop", "success", "ACTIVE", "SHUTOFF", false, "u1: stop done, ACTIVE -> SHUTOFF\n"),
            ("reboot_hard", "success", "ACTIVE", "ACTIVE", false, "u1: reboot hard done, ACTIVE -> ACTIVE\n"),
            ("start", "in_progress", "SHUTOFF", "BUILDING", true, "u1: start accepted, now BUILDING (in progress)\n"),
            ("delete", "success", "SHUTOFF", "DELETED", false, "u1: delete done, SHUTOFF -> DELETED\n"),
        ] as [(String, String, String, String, Bool, String)])
    func actionResults(action: String, status: String, previous: String, current: String, accepted: Bool, text: String) {
        let result = VMs.ActionResult(
            vmUUID: "u1", action: action, status: status, message: "", previousState: previous, currentState: current,
            timestamp: Self.created)
        #expect(OutputFormatter.vmActionResult(result, accepted: accepted) == text)
    }

    @Test func vmListWithFooter() {
        let list = VMs.VMList(items: [Self.vm("web")], total: 3, page: 2, pageSize: 1, pages: 3)
        #expect(
            OutputFormatter.vmList(list) == """
                UUID                                   NAME   STATE    FLAVOR    IMAGE       BACKEND   VCPUS   MEMORY   CREATED
                11111111-2222-3333-4444-555555555555   web    ACTIVE   m1.tiny   debian-12   sim       1       512MiB   2024-06-04T10:00:00Z
                Showing 2-2 of 3 (page 2 of 3, 1 per page).

                """)
    }

    @Test(arguments: [
        (VMs.VMList(items: [], total: 0, page: 1, pageSize: 20, pages: 0), "No VMs.\n"),
        (VMs.VMList(items: [], total: 5, page: 9, pageSize: 20, pages: 1), "No VMs on page 9 (5 in total).\n"),
    ])
    func emptyVMList(list: VMs.VMList, text: String) {
        #expect(OutputFormatter.vmList(list) == text)
    }

    @Test func flavorList() {
        let list = VMs.FlavorList(
            items: [
                VMs.Flavor(id: "m1.tiny", name: "m1.tiny", vcpus: 1, memoryMB: 512, diskGB: 1),
                VMs.Flavor(id: "big", name: "big", vcpus: 8, memoryMB: 16384, diskGB: 80, swapMB: 1024, isPublic: false),
            ], total: 2)
        #expect(
            OutputFormatter.flavorList(list) == """
                ID        NAME      VCPUS   MEMORY   DISK    EPHEMERAL   SWAP   PUBLIC
                m1.tiny   m1.tiny   1       512MiB   1 GB    0 GB        0B     yes
                big       big       8       16GiB    80 GB   0 GB        1GiB   no

                """)
        #expect(OutputFormatter.flavorList(.init(items: [], total: 0)) == "No flavors.\n")
    }

    @Test func imageDetailShowsArtifacts() {
        let image = VMs.Image(
            id: "alpine", name: "Alpine", status: "active", sizeBytes: 0, minDiskGB: 1, minMemoryMB: 128,
            osDistro: "alpine", osVersion: "3.20", architecture: "x86_64", createdAt: Self.created, description: nil,
            artifacts: .init(dockerReference: "alpine:3.20", kernelPath: "/k", rootDiskPath: "/d.qcow2", rootDiskFormat: "qcow2"),
            backends: ["docker", "kvm", "sim"])
        #expect(
            OutputFormatter.imageDetail(image) == """
                ID:               alpine
                Name:             Alpine
                Status:           active
                OS:               alpine 3.20
                Architecture:     x86_64
                Size:             0B
                Min disk:         1 GB
                Min memory:       128MiB
                Backends:         docker, kvm, sim
                Holds:            kernel, disk, docker
                Docker reference: alpine:3.20
                Kernel:           /k
                Root disk:        /d.qcow2 (qcow2)
                Created:          2024-06-04T10:00:00Z

                """)
    }

    @Test func imageListShowsWhatEachHolds() {
        func image(_ id: String, _ artifacts: VMs.ImageArtifacts, _ backends: [String]) -> VMs.Image {
            VMs.Image(
                id: id, name: id, status: "active", sizeBytes: 0, minDiskGB: 0, minMemoryMB: 0, osDistro: "", osVersion: "",
                architecture: "x86_64", createdAt: Self.created, description: nil, artifacts: artifacts, backends: backends)
        }
        let list = VMs.ImageList(
            items: [
                image("k", .init(kernelPath: "/k"), ["kvm", "sim"]), image("i", .init(initrdPath: "/i"), ["sim"]),
                image("d", .init(rootDiskPath: "/d.img", rootDiskFormat: "raw"), ["sim"]), image("none", .init(), ["sim"]),
            ], total: 4)
        #expect(
            OutputFormatter.imageList(list) == """
                ID     NAME   OS   ARCH     STATUS   HOLDS    BACKENDS   MIN DISK   MIN MEMORY
                k      k      -    x86_64   active   kernel   kvm,sim    0 GB       0B
                i      i      -    x86_64   active   initrd   sim        0 GB       0B
                d      d      -    x86_64   active   disk     sim        0 GB       0B
                none   none   -    x86_64   active   -        sim        0 GB       0B

                """)
    }
}
