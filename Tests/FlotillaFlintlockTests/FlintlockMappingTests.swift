import FlotillaCluster
import FlotillaCore
import FlotillaFlintlock
import Foundation
import GRPCCore
import SwiftProtobuf
import Testing

@Suite("Flintlock state, status and JSON mapping")
struct FlintlockMappingTests {
    @Test(
        arguments: [
            (InstanceState.pending, MicroVMStatus.MicroVMState.pending), (.creating, .pending), (.starting, .pending),
            (.running, .created), (.stopped, .created), (.paused, .created), (.restarting, .created), (.stopping, .created),
            (.error, .failed), (.deleting, .deleting), (.deleted, .deleting),
        ])
    func states(state: InstanceState, flintlock: MicroVMStatus.MicroVMState) {
        #expect(FlintlockMapping.state(state) == flintlock)
    }

    @Test(
        arguments: [
            (FlotillaError.Code.validationError, RPCError.Code.invalidArgument, 400), (.resourceNotFound, .notFound, 404),
            (.instanceNotFound, .notFound, 404), (.nameConflict, .alreadyExists, 409), (.unauthorized, .unauthenticated, 401),
            (.forbidden, .permissionDenied, 403), (.imageArtifactMissing, .failedPrecondition, 400),
            (.backendUnavailable, .unavailable, 503), (.internalError, .internalError, 500),
        ])
    func statuses(code: FlotillaError.Code, grpc: RPCError.Code, http: Int) {
        #expect(FlintlockStatus.code(of: code) == grpc)
        #expect(FlintlockStatus.httpStatus(of: code) == http)
    }

    @Test(
        arguments: [
            ("bearer k1", "k1"), ("Bearer k1", "k1"), ("basic \(Data("k2".utf8).base64EncodedString())", "k2"),
            ("Basic \(Data("k2".utf8).base64EncodedString())", "k2"), ("basic !!!", nil), ("token k", nil), ("bearer", nil),
        ] as [(String, String?)])
    func credentials(header: String, secret: String?) {
        #expect(FlintlockCredential.secret(authorization: header) == secret)
    }

    /// An instance made from a request shows the MicroVM the client asked for, with the server's fields.
    @Test func instanceShowsAsMicroVM() throws {
        var spec = MicroVMSpec()
        spec.id = "vm1"
        spec.namespace = "ns"
        spec.kernel.image = "guest"
        spec.kernel.cmdline = ["console": "ttyS0"]
        spec.labels = ["a": "b"]
        var iface = Flintlock_Types_NetworkInterface()
        iface.deviceID = "eth0"
        iface.type = .tap
        spec.interfaces = [iface]
        var request = CreateMicroVMRequest()
        request.microvm = spec
        let image = Image(
            id: "guest", name: "g", osDistro: "", osVersion: "", createdAt: Date(), artifacts: ImageArtifacts(kernelPath: "/k"))
        let create = try FlintlockCreate.instance(
            for: request, uid: "01ARYZ6S4K0000000000000000", defaultProvider: .kvm,
            networks: ["vmnet": NetworkDefinition(name: "vmnet", cidr: IPv4Network("10.0.0.0/24")!)],
            image: { $0 == "guest" ? image : nil })
        var instance = Instance(
            id: "0b9f2a3c-8a6e-4f0e-9b1a-2c3d4e5f6a7b", name: create.name, kind: .vm, backend: create.backend, spec: create.spec,
            createdAt: Date(timeIntervalSince1970: 1_700_000_000))
        instance.state = .running
        let vm = FlintlockMapping.microVM(instance)
        #expect(vm.status.state == .created)
        #expect(vm.spec.id == "vm1")
        #expect(vm.spec.namespace == "ns")
        #expect(vm.spec.uid == "01ARYZ6S4K0000000000000000")
        #expect(vm.spec.labels == ["a": "b"])
        #expect(vm.spec.vcpu == 2)
        #expect(vm.spec.memoryInMb == 1024)
        #expect(vm.spec.provider == "kvm")
        #expect(vm.spec.kernel.cmdline == ["console": "ttyS0"])
        #expect(vm.spec.interfaces.first?.type == .tap)
        #expect(vm.spec.createdAt.seconds == 1_700_000_000)
        #expect(!vm.spec.hasDeletedAt)

        let json = try vm.jsonString(options: FlintlockMapping.jsonEncoding)
        #expect(json.contains(#""state":"CREATED""#))
        #expect(json.contains(#""memoryInMb":1024"#))
        #expect(!json.contains("retry"), "SwiftProtobuf leaves zero values out")
        let full = try #require(JSONSerialization.jsonObject(with: FlintlockJSON.encode(vm)) as? [String: Any])
        let status = try #require(full["status"] as? [String: Any])
        #expect(status["retry"] as? Int == 0)
        #expect(status["vsockPath"] as? String == "")
        #expect(status["kernelMount"] is NSNull)
        #expect(status["volumes"] as? [String: Any] != nil)
        let fullSpec = try #require(full["spec"] as? [String: Any])
        #expect(fullSpec["allowGuestAgent"] as? Bool == false)
        #expect(fullSpec["initrd"] is NSNull)
        #expect(fullSpec["additionalVolumes"] as? [Any] != nil)
        let shownIface = try #require((fullSpec["interfaces"] as? [[String: Any]])?.first)
        #expect(shownIface["guestMac"] is NSNull)
        #expect(shownIface["type"] as? String == "TAP")
        #expect((fullSpec["kernel"] as? [String: Any])?["addNetworkConfig"] as? Bool == false)
        let snake = try MicroVMSpec(
            jsonString: #"{"id":"x","memory_in_mb":64,"root_volume":{"id":"r","is_read_only":true}}"#, options: FlintlockMapping.decoding)
        #expect(snake.memoryInMb == 64)
        #expect(snake.rootVolume.isReadOnly)
    }
}
