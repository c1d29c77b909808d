import FlotillaAPI
import FlotillaClient
import FlotillaHost
import FlotillaTestSupport
import Foundation
import Testing

/// A real `flotilla serve` process running a kvm VM is killed and started again: the VM runs on and the new
/// process adopts it (same QEMU pid, still controlled).
@Suite("kvm VMs survive a restart of flotilla serve", .serialized, .enabled(if: KVMTestSupport.enabled, KVMTestSupport.skipReason))
struct KVMServeProcessTests {
    @Test("SIGKILL of flotilla serve: the next serve adopts the running QEMU without restarting it")
    func adoptionAfterServeRestart() async throws {
        try KVMTestSupport.requireQEMU()
        let guest = try await GuestImageFixture.guest()
        try await FixtureStack.with { stack in
            let dir = KVMTestSupport.temporaryDirectory("kvmp")
            // Pushed before any host starts, so it runs after they all stopped: no host restarts a killed VM.
            await stack.push("QEMUs under \(dir) and the folder") {
                KVMTestSupport.killQEMUs(under: dir)
                try? FileManager.default.removeItem(atPath: dir)
            }
            try await adoption(stack, guest: guest, dir: dir)
        }
    }

    private func adoption(_ stack: FixtureStack, guest: GuestImageFixture.Guest, dir: String) async throws {
        // The image, registered in the data folder's store as `flotilla image import` would.
        _ = try await TestHost.with(dataDir: dir, keepData: true) { host in
            try await ImageImporter(store: host.host.store).importImage(
                .init(id: "flotilla-test-guest", kernelPath: guest.kernel, initrdPath: guest.initrd))
        }
        let kvm = ["--backends", "sim,kvm", "--kvm-accel", "tcg"]
        let first = try await stack.serve(dataDir: dir, extra: kvm, stopSignal: SIGKILL)
        let id = try await FlotillaClient.withClient(baseURL: first.url, apiKey: first.apiKey) { client in
            let request = Compute.CreateRequest(
                name: "adoptee", backend: "kvm", config: .init(image: "flotilla-test-guest"),
                resources: .init(cpu: .init(cores: 1), memory: .init(limit: 128 << 20)))
            let created = try await client.createInstance(request, wait: true).instance
            #expect(created.state == "running")
            return created.id
        }
        let pidFile = "\(dir)/kvm/\(id)/qemu.pid"
        let pid = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(await first.stop(signal: SIGKILL) == 9)
        #expect(KVMTestSupport.isAlive(pid), "the VM outlives flotilla serve")

        let second = try await stack.serve(dataDir: dir, extra: kvm)
        try await FlotillaClient.withClient(baseURL: second.url, apiKey: second.apiKey) { client in
            // The new host's agent looked at the VM three times (once per reconcile round): it reconciled it twice.
            try await eventually("the agent looks at the adopted VM three times", timeout: .seconds(60)) {
                try await Scrape.fetch(second.url, key: second.apiKey).inspections("kvm") >= 3
            }
            #expect(try await client.instance(id: id).state == "running")
            let samePid = Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))
            #expect(samePid == pid, "adopted, not restarted")
            #expect(KVMTestSupport.isAlive(pid))
            _ = try await client.deleteInstance(id: id, force: true, wait: true)
            try await eventually("delete ends the adopted QEMU", timeout: .seconds(20), every: .milliseconds(200)) {
                !KVMTestSupport.isAlive(pid)
            }
        }
    }
}
