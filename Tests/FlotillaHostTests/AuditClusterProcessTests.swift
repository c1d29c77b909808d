import FlotillaAPI
import FlotillaClient
import FlotillaTestSupport
import Foundation
import Testing

/// The audit trail across two real `flotilla serve` processes on etcd (ADR 0018): a mutating call forwarded to
/// the owner is recorded once, by the host the client called, and the owner logs it under the same request id.
@Suite("Audit trail across hosts, real processes", .serialized, .enabled(if: EtcdCluster.testsEnabled, "etcd is not installed"))
struct AuditClusterProcessTests {
    static let key = "flt_audit_cluster_test_key_012345"

    @Test("a VM sync sent to h1 for a VM on h2: one record, and h2's log names its request id")
    func forwardedCallRecordedOnce() async throws {
        try await FixtureStack.with { stack in
            let etcd = try await stack.etcd(size: 1)
            let dir = try await stack.temporaryDirectory("audit-cluster")
            var hosts: [(ServeProcess, LockedBox<String>)] = []
            for i in 1...2 {
                let log = LockedBox("")
                let host = try await stack.serve(
                    dataDir: "\(dir)/h\(i)", apiKey: Self.key,
                    extra: etcd.serveArguments + [
                        "--cluster-secret", "test-secret", "--host-id", "h\(i)", "--zone", "z\(i)", "--log-level", "debug",
                        "--rate-limit", "0",
                    ] + FaultCluster.fastBounds, output: log)
                hosts.append((host, log))
            }
            let (h1, h1Log) = hosts[0]
            let h2Log = hosts[1].1
            try await FlotillaClient.withClient(baseURL: h1.url, apiKey: Self.key, timeout: .seconds(30)) { client in
                // Placement needs a leader and both hosts registered: retry the create until it is accepted.
                var created: Global.VM?
                try await eventually("a VM running on h2", timeout: .seconds(60), every: .milliseconds(300)) {
                    if created == nil {
                        created = try? await client.createGlobalVM(
                            Global.CreateRequest(
                                name: "audited", backend: "sim", kind: "vm", image: "busybox",
                                resources: .init(cpuCores: 0.5, memoryMB: 64), placement: .init(workerId: "h2")))
                    }
                    guard let id = created?.id else { return false }
                    let vm = try? await client.globalVM(id: id)
                    return vm?.host?.id == "h2" && vm?.observed.state == "running"
                }
                let id = try #require(created?.id)
                _ = try await client.syncVM(uuid: id)
                let records = try await client.auditAll(target: id).records.filter { $0.route == "/api/v1/vms/:uuid/sync" }
                #expect(records.count == 1, "\(records)")
                let record = try #require(records.first)
                #expect(record.status == 200 && record.keyName == "bootstrap" && record.method == "POST")
                // The owner answered under the same id and says the call came from h1; h1 forwarded, it did not
                // answer a forwarded call.
                try await eventually("h2 logged the forwarded call") {
                    h2Log.value.contains("requestId=\(record.requestId)") && h2Log.value.contains("forwardedBy=h1")
                }
                #expect(!h1Log.value.contains("forwardedBy=h2"))
            }
        }
    }
}
