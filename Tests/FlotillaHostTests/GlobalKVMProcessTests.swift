import FlotillaAPI
import FlotillaClient
import FlotillaTestSupport
import Foundation
import Testing

/// Surface D's routed status for a kvm VM: host B boots it in QEMU (TCG here); A and C relay B's live answer.
@Suite(
    "Surface D on kvm across hosts", .serialized, .enabled(if: KVMTestSupport.enabled, KVMTestSupport.skipReason),
    .enabled(if: EtcdCluster.testsEnabled, "etcd is not installed"))
struct GlobalKVMProcessTests {
    @Test("status of a kvm VM on B, asked at A and C, is B's live answer from QEMU")
    func kvmStatusAcrossHosts() async throws {
        try KVMTestSupport.requireQEMU()
        let guest = try await GuestImageFixture.guest()
        let cluster = ClusterProcessTests()
        try await cluster.withCluster(backends: "sim,kvm", environment: ["FLOTILLA_KVM_ACCEL": "tcg"]) { _, hosts in
            let (a, b, c) = (hosts[0], hosts[1], hosts[2])
            _ = try await cluster.client(a) {
                try await $0.importImage(.init(id: "flotilla-test-guest", kernelPath: guest.kernel, initrdPath: guest.initrd))
            }
            let request = Global.CreateRequest(
                name: "kvm-on-b", backend: "kvm", image: "flotilla-test-guest", resources: .init(cpuCores: 1, memoryMB: 128),
                placement: .init(workerId: "h2"))
            let vm = try await cluster.createGlobalEventually(a, request, within: .seconds(180))
            #expect(vm.observed.state == "running")
            let (local, relayed) = try await cluster.relayedStatus(vm.id, owner: b, askedAt: [a, c])
            #expect(local.routed == false && local.servedBy == "h2" && local.backend == "kvm" && local.state == "running")
            for routed in relayed {
                #expect(routed.usage?.memory.limitBytes == local.usage?.memory.limitBytes)
                #expect((routed.usage?.memory.limitBytes ?? 0) == 128 << 20)
            }
            _ = try? await cluster.client(b) { try await $0.deleteInstance(id: vm.id, force: true, wait: true) }
        }
    }

}
