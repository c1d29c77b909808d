import FlotillaAPI
import FlotillaClient
import FlotillaHost
import FlotillaTestSupport
import Foundation
import Testing

/// Snapshots of a real VM (QEMU under TCG) through `flotilla snapshot` against a `flotilla serve` process
/// (docs/decisions/0028-snapshots.md): the test guest prints a boot marker, then a counter every second; a VM made
/// from a snapshot with memory resumes the count with no new boot. Needs the kvm backend's ``Snapshotting``.
@Suite("snapshots of kvm VMs as processes", .serialized)
struct SnapshotKVMProcessTests {
    @Test(
        "snapshot a running VM, delete it, restore a new VM: its console continues the counter with no new boot",
        .enabled(if: KVMTestSupport.enabled, KVMTestSupport.skipReason))
    func resumesTheCounter() async throws {
        try KVMTestSupport.requireQEMU()
        let guest = try await GuestImageFixture.guest()
        try await FixtureStack.with { stack in
            let dir = KVMTestSupport.temporaryDirectory("kvmsnap")
            await stack.push("QEMUs under \(dir) and the folder") {
                KVMTestSupport.killQEMUs(under: dir)
                try? FileManager.default.removeItem(atPath: dir)
            }
            _ = try await TestHost.with(dataDir: dir, keepData: true) { host in
                try await ImageImporter(store: host.host.store).importImage(
                    .init(id: "flotilla-test-guest", kernelPath: guest.kernel, initrdPath: guest.initrd))
            }
            let host = try await stack.serve(dataDir: dir, extra: ["--backends", "sim,kvm", "--kvm-accel", "tcg"])
            let id = try await FlotillaClient.withClient(baseURL: host.url, apiKey: host.apiKey) { client in
                let request = Compute.CreateRequest(
                    name: "snap-source", backend: "kvm",
                    // The memory state is kept in a writable qcow2 disk: an empty one is enough.
                    config: .init(image: "flotilla-test-guest", disks: [.init(id: "scratch", sizeBytes: 16 << 20)]),
                    resources: .init(cpu: .init(cores: 1), memory: .init(limit: 128 << 20)))
                return try await client.createInstance(request, wait: true).instance.id
            }
            // TCG boots slowly: generous caps.
            try await eventually("the source's counter", timeout: .seconds(180), every: .seconds(1)) {
                Self.tick(try await host.cli(["logs", id, "--tail", "5"]).out) >= 2
            }
            let before = Self.tick(try await host.cli(["logs", id, "--tail", "5"]).out)

            let taken = try await host.cli(["snapshot", "create", "snap-source", "--name", "counting", "--output", "json"])
            #expect(taken.status == 0, "\(taken.err)")
            let snapshot = try JSONSerialization.jsonObject(with: Data(taken.out.utf8)) as? [String: Any] ?? [:]
            let snapshotId = try #require(snapshot["id"] as? String, "\(taken.out)")
            #expect(snapshot["includes_memory"] as? Bool == true, "a kvm snapshot keeps memory: \(taken.out)")
            let listed = try await host.cli(["snapshot", "list"])
            #expect(listed.out.contains(snapshotId) && listed.out.contains("counting"), "\(listed.out)")

            let deleted = try await host.cli(["instance", "delete", "snap-source", "--force"])
            #expect(deleted.status == 0, "\(deleted.err)")

            let restored = try await host.cli(["snapshot", "restore", snapshotId, "--name", "snap-copy", "--wait", "--output", "json"])
            #expect(restored.status == 0, "\(restored.out) \(restored.err)")
            let copy = try #require(
                (try JSONSerialization.jsonObject(with: Data(restored.out.utf8)) as? [String: Any])?["id"] as? String, "\(restored.out)")
            try await eventually("the copy's counter", timeout: .seconds(120), every: .seconds(1)) {
                Self.tick(try await host.cli(["logs", copy, "--tail", "5"]).out) > before
            }
            let console = try await host.cli(["logs", copy, "--tail", "10000"]).out
            #expect(!console.contains("FLOTILLA-GUEST-READY"), "no new boot: \(console.suffix(400))")
            let ticks = Self.ticks(console)
            #expect((ticks.first ?? 0) >= before, "the count goes on from where it was (\(before)): \(ticks.prefix(5))")
            #expect(ticks == ticks.sorted(), "the count never goes back: \(ticks.prefix(20))")

            let gone = try await host.cli(["snapshot", "delete", snapshotId])
            #expect(gone.status == 0, "\(gone.err)")
            _ = try await host.cli(["instance", "delete", "snap-copy", "--force"])
        }
    }

    @Test(
        "a snapshot taken on host a made into a VM on host b (snapshot restore --target b): b copies it from a over the internal API and the count goes on there with no new boot",
        .enabled(if: KVMTestSupport.enabled, KVMTestSupport.skipReason), .enabled(if: EtcdCluster.testsEnabled, "etcd is not installed"))
    func resumesOnAnotherHost() async throws {
        try KVMTestSupport.requireQEMU()
        let guest = try await GuestImageFixture.guest()
        try await FixtureStack.with { stack in
            let hosts = try await MigrationHosts.start(stack, label: "snapcopy")
            try await VMProcessSupport.importGuest(hosts.a, guest)
            let id = try await MigrationKVMProcessTests.createVM(
                hosts, name: "snap-a", on: "a", extra: #","disks":[{"id":"scratch","size_bytes":16777216}]"#)
            let before = MigrationConsole.ticks(try await MigrationConsole.waitForTick(hosts.a, id: id, atLeast: 2)).last ?? 0
            let taken = try await hosts.a.cli(["snapshot", "create", id, "--output", "json"])
            #expect(taken.status == 0, "\(taken.err)")
            let snapshotId = try #require(
                (try JSONSerialization.jsonObject(with: Data(taken.out.utf8)) as? [String: Any])?["id"] as? String, "\(taken.out)")

            let restored = try await hosts.a.cli([
                "snapshot", "restore", snapshotId, "--name", "snap-b", "--target", "b", "--wait", "--output", "json",
            ])
            #expect(restored.status == 0, "\(restored.out) \(restored.err)")
            let made = try JSONSerialization.jsonObject(with: Data(restored.out.utf8)) as? [String: Any] ?? [:]
            let copy = try #require(made["id"] as? String, "\(restored.out)")
            #expect((made["host"] as? [String: Any])?["id"] as? String == "b", "it runs on b: \(restored.out)")
            #expect(FileManager.default.fileExists(atPath: hosts.kvmFolder("b", instance: copy)), "b's QEMU holds it")
            let console = try await MigrationConsole.waitForTick(hosts.b, id: copy, atLeast: before + 1)
            #expect(MigrationConsole.markers(console) == 0, "no new boot: \(MigrationConsole.summary(console))")
            #expect((MigrationConsole.ticks(console).first ?? -1) >= before, "the count goes on: \(MigrationConsole.summary(console))")
            #expect(!MigrationConsole.counterWentBack(console), "\(MigrationConsole.summary(console))")
            let copies = (try? FileManager.default.contentsOfDirectory(atPath: hosts.dataDirs["b"]! + "/kvm/snapshots")) ?? []
            #expect(copies.isEmpty, "b keeps no copy of the snapshot: \(copies)")
        }
    }

    /// Every `FLOTILLA-TICK N` in `text`, in order.
    static func ticks(_ text: String) -> [Int] {
        text.split(separator: "\n").compactMap { line in
            line.range(of: "FLOTILLA-TICK ").flatMap { Int(line[$0.upperBound...].prefix { $0.isNumber }) }
        }
    }

    /// The highest tick in `text`, or -1.
    static func tick(_ text: String) -> Int { ticks(text).max() ?? -1 }
}
