import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaTestSupport
import Foundation
import GRPCCore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOFoundationCompat
import Testing

/// A MicroVM on the default provider, kvm: real QEMU (TCG) boots the test guest named through the image catalog.
@Suite("Flintlock MicroVMs on KVM", .serialized)
struct MicroVMKVMTests {
    static let imageId = "flintlock-test-guest"

    @Test(
        "Create with the default provider boots the guest (console shows the init marker); Delete removes it",
        .enabled(if: KVMTestSupport.enabled, KVMTestSupport.skipReason))
    func bootsOnKVM() async throws {
        try KVMTestSupport.requireQEMU()
        let dir = KVMTestSupport.temporaryDirectory("flintlock-kvm")
        defer { KVMTestSupport.killQEMUs(under: dir) }
        try await FlintlockFixture.with(
            simLatency: .zero, dataDir: dir,
            configure: {
                $0.backends = [.sim, .kvm]
                $0.kvmAccel = .tcg
            }
        ) { f in
            let guest = try await GuestImageFixture.guest()
            try await ImageImporter(store: f.host.host.store).importImage(
                .init(id: Self.imageId, kernelPath: guest.kernel, initrdPath: guest.initrd, osDistro: "busybox"))
            try await eventuallyValue("the imported image", timeout: .seconds(10)) {
                f.host.host.registry.read { $0.images[Self.imageId]?.artifacts.kernelPath != nil } ? true : nil
            }
            var request = Microvm_Services_Api_V1alpha1_CreateMicroVMRequest()
            request.microvm.id = "guest-1"
            request.microvm.namespace = "kvm"
            request.microvm.vcpu = 1
            request.microvm.memoryInMb = 128
            request.microvm.kernel.image = Self.imageId
            request.microvm.initrd.image = Self.imageId
            let created = try await f.client.createMicroVM(request, metadata: f.admin).microvm
            #expect(created.spec.provider == "kvm", "kvm is the default provider")
            var getRequest = Microvm_Services_Api_V1alpha1_GetMicroVMRequest()
            getRequest.uid = created.spec.uid
            let get = getRequest
            try await eventuallyValue("CREATED", timeout: .seconds(300)) {
                try await f.client.getMicroVM(get, metadata: f.admin).microvm.status.state == .created ? true : nil
            }
            let app = Application(router: f.host.host.router())
            try await app.test(.router) { client in
                let key: HTTPFields = [HTTPField.Name("X-API-Key")!: f.host.adminKey]
                let id = try await client.execute(uri: "/api/v1/compute/instances/name/kvm:guest-1", method: .get, headers: key) {
                    ((try? JSONSerialization.jsonObject(with: Data(buffer: $0.body))) as? [String: Any])?["id"] as? String
                }
                let instance = try #require(id)
                try await eventually("the console shows \(GuestImageFixture.marker)", timeout: .seconds(300), every: .milliseconds(500)) {
                    try await client.execute(uri: "/api/v1/compute/instances/\(instance)/console?lines=200", method: .get, headers: key) {
                        let body = (try? JSONSerialization.jsonObject(with: Data(buffer: $0.body))) as? [String: Any]
                        return (body?["output"] as? String ?? "").contains(GuestImageFixture.marker)
                    }
                }
            }
            var delete = Microvm_Services_Api_V1alpha1_DeleteMicroVMRequest()
            delete.uid = created.spec.uid
            _ = try await f.client.deleteMicroVM(delete, metadata: f.admin)
            try await eventuallyValue("NOT_FOUND after delete", timeout: .seconds(120)) {
                await rpcCode { _ = try await f.client.getMicroVM(get, metadata: f.admin) } == .notFound ? true : nil
            }
        }
    }
}
