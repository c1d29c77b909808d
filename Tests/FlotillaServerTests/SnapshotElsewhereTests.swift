import FlotillaBackends
import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaServer
import FlotillaTestSupport
import Foundation
import HTTPTypes
import Testing

/// A VM made from a snapshot on another host than the one that keeps it (docs/decisions/0028-snapshots.md): two
/// whole in-process hosts on one etcd with the sim backend, whose export is a real stream between them over the
/// internal API (what it holds is simulated).
@Suite(
    "Snapshots made into VMs on another host (sim, in-process)", .serialized,
    .enabled(if: EtcdCluster.testsEnabled, "etcd is not installed"))
struct SnapshotElsewhereTests {
    @Test(
        "a VM from h1's snapshot with target h2 (asked on h1): h2 copies it from h1, runs the VM, and keeps no copy; without a target it runs on h1"
    )
    func restoreOnTarget() async throws {
        try await InProcessMigrationHosts.with(count: 2) { cluster in
            let id = try await LiveMigrationTests.create(cluster, "origin")
            let taken = try await cluster.probes[0].post("/api/v2/vms/\(id)/snapshots", "{}")
            #expect(taken.status == 201, "\(taken.text)")
            let snapshot = try #require(taken["id"])
            #expect(taken["host_id"] == "h1")

            let made = try await cluster.probes[0].post(
                "/api/v2/snapshots/\(snapshot)/vms?wait=running", #"{"name":"elsewhere","target":"h2"}"#)
            #expect(made.status == 201, "\(made.text)")
            let copy = try #require(made["id"])
            #expect((made.json["host"] as? [String: any Sendable])?["id"] as? String == "h2", "\(made.text)")
            #expect(LiveMigrationTests.instance(cluster, copy, on: 2)?.restoredFrom == snapshot)
            // h2's backend made it from its own copy, named after the snapshot and the new VM.
            let history = try await cluster.sim(2).history(copy)
            #expect(
                history.contains { $0.hasSuffix("made from snapshot sim://simulated/\(snapshot)-\(copy) (simulated)") },
                "h2's sim made it from the copy it fetched: \(history)")
            #expect(try await cluster.sim(1).states()[copy] == nil, "h1 does not run it")

            let home = try await cluster.probes[1].post("/api/v2/snapshots/\(snapshot)/vms?wait=running", #"{"name":"home"}"#)
            #expect(home.status == 201, "\(home.text)")
            #expect((home.json["host"] as? [String: any Sendable])?["id"] as? String == "h1", "\(home.text)")
            let homeId = try #require(home["id"])
            #expect(
                try await cluster.sim(1).history(homeId).contains {
                    $0.hasSuffix("made from snapshot sim://simulated/\(snapshot) (simulated)")
                },
                "the holder makes it from the snapshot itself, no copy")
        }
    }

    @Test("unknown target 404 and nothing recorded; the export answers only the cluster credential, only on the holder")
    func refusals() async throws {
        try await InProcessMigrationHosts.with(count: 2) { cluster in
            let id = try await LiveMigrationTests.create(cluster, "origin")
            let snapshot = try #require(try await cluster.probes[0].post("/api/v2/vms/\(id)/snapshots", "{}")["id"])
            let before = cluster.hosts[0].host.registry.read { $0.instances.count }
            let unknown = try await cluster.probes[0].post("/api/v2/snapshots/\(snapshot)/vms", #"{"name":"x","target":"h9"}"#)
            #expect(unknown.status == 404 && unknown.errorCode == "NOT_FOUND", "\(unknown.text)")
            let wrongType = try await cluster.probes[0].post("/api/v2/snapshots/\(snapshot)/vms", #"{"name":"x","target":5}"#)
            #expect(wrongType.status == 400 && wrongType.errorCode == "VALIDATION_ERROR", "\(wrongType.text)")
            #expect(cluster.hosts[0].host.registry.read { $0.instances.count } == before, "a refused restore records nothing")

            let path = "/internal/v1/snapshots/\(snapshot)/export"
            let withKey = try await cluster.probes[0].get(path)
            #expect(withKey.status == 403, "a client key cannot read an export: \(withKey.text)")
            let token = cluster.hosts[0].host.clusterCredential.token
            let cluster2: HTTPFields = [.clusterToken: token, .forwardedBy: "h2"]
            let fromHolder = try await cluster.probes[0].with(key: nil).call(.get, path, headers: cluster2)
            #expect(fromHolder.status == 200 && fromHolder.text == "FLOTILLA-SIM-SNAPSHOT-1 \(snapshot)\n", "\(fromHolder.text)")
            let fromOther = try await cluster.probes[1].with(key: nil).call(.get, path, headers: cluster2)
            #expect(fromOther.status == 503 && fromOther.errorCode == "BACKEND_UNAVAILABLE", "only h1 keeps it: \(fromOther.text)")
            let missing = try await cluster.probes[0].with(key: nil).call(
                .get, "/internal/v1/snapshots/01JE0Q7M5W8YB3N6R9T2V5X8Z1/export", headers: cluster2)
            #expect(missing.status == 404, "\(missing.text)")
        }
    }

    @Test(
        "the holder's export fails midway (its backend went away): the new VM on h2 is in error saying it could not copy the snapshot, and h2 keeps nothing"
    )
    func holderFails() async throws {
        try await InProcessMigrationHosts.with(count: 2) { cluster in
            let id = try await LiveMigrationTests.create(cluster, "origin")
            let snapshot = try #require(try await cluster.probes[0].post("/api/v2/vms/\(id)/snapshots", "{}")["id"])
            let sim1 = try #require(cluster.hosts[0].host.backends[.sim] as? SimBackend)
            await sim1.setUnavailable("simulated outage")
            let made = try await cluster.probes[1].post("/api/v2/snapshots/\(snapshot)/vms", #"{"name":"doomed","target":"h2"}"#)
            #expect(made.status == 202, "\(made.text)")
            let copy = try #require(made["id"])
            // (It keeps the snapshot's restart policy, always: between its attempts it is in error with the reason.)
            let seen = LockedBox("")
            do {
                try await eventually("the VM on h2 is in error saying why it was not made", timeout: .seconds(30)) {
                    let vm = try await cluster.probes[1].get("/api/v2/vms/\(copy)")
                    seen.withLock { $0 = vm.text }
                    let observed = vm.json["observed"] as? [String: any Sendable]
                    return observed?["state"] as? String == "error"
                        && (observed?["description"] as? String)?.hasPrefix("cannot copy snapshot \(snapshot) from host h1") == true
                }
            } catch {
                Issue.record("\(error); the VM: \(seen.value)")
                throw error
            }
            #expect(try await cluster.sim(2).states()[copy] == nil, "h2's backend holds nothing of it")
            await sim1.setUnavailable(nil)
        }
    }
}
