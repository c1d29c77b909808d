import FlotillaTestSupport
import Foundation
import NIOHTTP1
import Testing

/// Live migration end to end (issue 17, docs/decisions/0027-live-migration.md): two real hosts, kvm under TCG, on a
/// real 3-member etcd; each host runs its QEMUs in a namespace of its own with a bridge `br0`, the bridges joined
/// by a veth pair, the gateway on host a's (``MigrationNetwork``). The test guest prints a boot marker, then a
/// counter every second: a guest that moved live shows no new marker and a counter that never goes back.
@Suite(
    "Live migration of kvm VMs between two hosts on etcd", .serialized,
    .enabled(if: KVMTestSupport.enabled && (NetworkNamespace.available || KVMTestSupport.required), KVMTestSupport.skipReason),
    .enabled(if: EtcdCluster.testsEnabled, "etcd is not installed"))
struct LiveMigrationKVMProcessTests {
    @Test(
        "a VM with an address and a disk moves live a to b: the counter goes on with no new boot, the disk keeps what was written, the address answers, the answer says live with figures"
    )
    func liveMove() async throws {
        try KVMTestSupport.requireQEMU()
        let guest = try await GuestImageFixture.guest()
        try await FixtureStack.with { stack in
            let network = try await MigrationNetwork.make(stack, label: "mlv")
            let hosts = try await MigrationHosts.start(
                stack, label: "live", perHost: ["a": network.serveArguments("a"), "b": network.serveArguments("b")])
            try await VMProcessSupport.importGuest(hosts.a, guest)
            let token = "token-" + UUID().uuidString.lowercased()
            let volume = try await Self.markedVolume(in: hosts.dataDirs["a"]! + "-volume", token: token)
            let imported = try await hosts.a.cli(["image", "import", "mig-volume", "--name", "Migration volume", "--disk", volume])
            #expect(imported.status == 0, "image import: \(imported.out)\(imported.err)")

            // The guest reads the file, then overwrites the disk's first sector (zeros over the marker): a write the
            // guest made before the move, which must be on b's disk after it.
            let id = try await MigrationKVMProcessTests.createVM(
                hosts, name: "live-move", on: "a",
                extra:
                    #","networks":[{"network":"\#(MigrationNetwork.name)"}],"disks":[{"id":"data","image":"mig-volume"}],"kernel_arguments":"flotilla.cat=data:token.txt flotilla.rotest=data""#
            )
            let vm = MigrationHosts.object(try await MigrationHosts.send(.GET, hosts.a, "/api/v2/vms/\(id)").body) ?? [:]
            let address = try #require(
                ((vm["spec"] as? [String: Any])?["networks"] as? [[String: Any]])?.first?["address"] as? String, "an address: \(vm)")
            let before = try await MigrationConsole.waitForTick(hosts.a, id: id, atLeast: 3)
            #expect(before.contains("FLOTILLA-FILE \(token)"), "the guest read the file before the move")
            #expect(before.contains("FLOTILLA-RO data allowed"), "the guest wrote its disk before the move")
            try await eventually("\(address) answers before the move", timeout: .seconds(120), every: .seconds(2)) {
                await network.answersPing(address)
            }

            let (status, body) = try await MigrationHosts.send(
                .POST, hosts.a, "/api/v2/vms/\(id)/migrate", json: #"{"live":true,"target":"b"}"#, timeout: .seconds(240))
            let text = String(decoding: body, as: UTF8.self)
            #expect(status == 200, "the live move: \(status) \(text)")
            let answer = MigrationHosts.object(body) ?? [:]
            #expect((answer["host"] as? [String: Any])?["id"] as? String == "b", "the answer names b: \(text)")
            let migration = answer["migration"] as? [String: Any] ?? [:]
            #expect(migration["mode"] as? String == "live" && migration["outcome"] as? String == "moved", "\(migration)")
            #expect(migration["from"] as? String == "a" && migration["to"] as? String == "b", "\(migration)")
            let figures = migration["figures"] as? [String: Any] ?? [:]
            #expect(((figures["total_ms"] as? NSNumber)?.int64Value ?? 0) > 0, "QEMU's total time: \(figures)")
            #expect(figures["downtime_ms"] is NSNumber, "QEMU's downtime: \(figures)")

            // The console through b: the counter goes on past where it was, with no new boot.
            let lastBefore = MigrationConsole.ticks(before).last ?? 0
            let after = try await MigrationConsole.waitForTick(hosts.b, id: id, atLeast: lastBefore + 3, timeout: .seconds(120))
            #expect(MigrationConsole.markers(after) <= 1, "no boot marker after the move: \(MigrationConsole.summary(after))")
            #expect(!MigrationConsole.counterWentBack(after), "the counter never started again")
            #expect(
                (MigrationConsole.ticks(after).first ?? 0) > 0 || MigrationConsole.markers(after) == 1, "b's console continues the count")
            try await eventually("\(address) answers from b", timeout: .seconds(60), every: .seconds(1)) {
                await network.answersPing(address)
            }
            try await eventually("a's QEMU of \(id) is gone", timeout: .seconds(60), every: .milliseconds(500)) {
                hosts.qemuPid("a", instance: id) == nil
            }
            #expect(hosts.qemuPid("b", instance: id) != nil)

            // The disk on b holds the guest's write (the marker sector is zeros) and the file.
            let disk = try #require(Self.diskFile(under: hosts.kvmFolder("b", instance: id)), "b has the VM's disk")
            let raw = hosts.dataDirs["b"]! + "-disk.raw"
            _ = try await KVMTestSupport.run("/usr/bin/qemu-img", ["convert", "-U", "-O", "raw", disk, raw], timeout: .seconds(60))
            let sector = try FileHandle(forReadingFrom: URL(fileURLWithPath: raw)).read(upToCount: 512) ?? Data()
            #expect(sector.count == 512 && sector.allSatisfy { $0 == 0 }, "the guest's write before the move is on b's disk")
            let file = try await KVMTestSupport.run("/usr/sbin/debugfs", ["-R", "cat /token.txt", raw], timeout: .seconds(30))
            #expect(file.contains(token), "the file is on b's disk: \(file)")
            try? FileManager.default.removeItem(atPath: raw)
            _ = try? await MigrationHosts.send(.DELETE, hosts.b, "/api/v2/vms/\(id)?force=true", timeout: .seconds(90))
        }
    }

    @Test(
        "the destination dies midway (serve and its QEMU killed): the VM runs on a, the registry never named b, nothing is left on b after it restarts"
    )
    func destinationKilledMidway() async throws {
        try KVMTestSupport.requireQEMU()
        let guest = try await GuestImageFixture.guest()
        try await FixtureStack.with { stack in
            let network = try await MigrationNetwork.make(stack, label: "mlk")
            let hosts = try await MigrationHosts.start(
                stack, label: "kill", perHost: ["a": network.serveArguments("a"), "b": network.serveArguments("b")])
            try await VMProcessSupport.importGuest(hosts.a, guest)
            // More memory than the other tests: a longer transfer, a wider window to kill b in.
            let id = try await MigrationKVMProcessTests.createVM(
                hosts, name: "kill-dest", on: "a", extra: #","networks":[{"network":"\#(MigrationNetwork.name)"}]"#, memoryMB: 256)
            let before = try await MigrationConsole.waitForTick(hosts.a, id: id, atLeast: 3)
            let sourcePid = try #require(hosts.qemuPid("a", instance: id))

            try await MigrationOwnerWatch.with(hosts.etcd, instance: id) { watch in
                let b = hosts.b
                async let answer = MigrationHosts.send(
                    .POST, hosts.a, "/api/v2/vms/\(id)/migrate", json: #"{"live":true,"target":"b"}"#, timeout: .seconds(240))
                // b's incoming QEMU appears once the migration started: kill b's serve, then that QEMU.
                var incoming: [Int32] = []
                try await eventually("b's incoming QEMU for \(id) appears", timeout: .seconds(120), every: .milliseconds(20)) {
                    incoming = MigrationHosts.qemus(mentioning: id).filter { $0 != sourcePid }
                    return !incoming.isEmpty
                }
                await b.stop(signal: SIGKILL)
                for pid in incoming { kill(pid, SIGKILL) }
                let (status, body) = try await answer
                #expect(status != 200, "the move failed: \(status) \(String(decoding: body, as: UTF8.self))")
                let error = (MigrationHosts.object(body)?["error"] as? [String: Any])?["message"] as? String ?? ""
                #expect(!error.isEmpty, "the answer says why: \(String(decoding: body, as: UTF8.self))")

                // The VM kept running on a: same QEMU, no new boot, the counter going on.
                let lastBefore = MigrationConsole.ticks(before).last ?? 0
                let after = try await MigrationConsole.waitForTick(hosts.a, id: id, atLeast: lastBefore + 5, timeout: .seconds(120))
                #expect(hosts.qemuPid("a", instance: id) == sourcePid, "a's QEMU is the one that ran before")
                #expect(MigrationConsole.markers(after) == 1, "no new boot: \(MigrationConsole.summary(after))")
                #expect(!MigrationConsole.counterWentBack(after))
                let vm = MigrationHosts.object(try await MigrationHosts.send(.GET, hosts.a, "/api/v2/vms/\(id)").body) ?? [:]
                #expect((vm["host"] as? [String: Any])?["id"] as? String == "a")
                #expect((vm["observed"] as? [String: Any])?["state"] as? String == "running")
                let migration = vm["migration"] as? [String: Any] ?? [:]
                #expect(migration["outcome"] as? String == "failed" && (migration["reason"] as? String)?.isEmpty == false, "\(migration)")

                // b restarts: nothing of the VM is left there.
                _ = try await hosts.restart("b", on: stack)
                try await eventually("no QEMU and no folder of \(id) on b", timeout: .seconds(60), every: .milliseconds(500)) {
                    MigrationHosts.qemus(mentioning: id).allSatisfy { $0 == sourcePid }
                        && !FileManager.default.fileExists(atPath: hosts.kvmFolder("b", instance: id))
                }
                #expect(watch.error == nil, "the watch covered the whole move: \(watch.error ?? "")")
                #expect(!watch.owners.contains("b"), "the registry never named b: \(watch.history)")
                #expect(watch.owners.allSatisfy { $0 == "a" }, "a owned it at every write: \(watch.history)")
            }
            _ = try? await MigrationHosts.send(.DELETE, hosts.a, "/api/v2/vms/\(id)?force=true", timeout: .seconds(90))
        }
    }

    @Test(
        "eight live moves back and forth: each one either moves with the counter going on, or fails with the guest running on where it was, never booted again"
    )
    func repeatedMovesNeverReboot() async throws {
        try KVMTestSupport.requireQEMU()
        let guest = try await GuestImageFixture.guest()
        try await FixtureStack.with { stack in
            let hosts = try await MigrationHosts.start(stack, label: "rep")
            try await VMProcessSupport.importGuest(hosts.a, guest)
            let id = try await MigrationKVMProcessTests.createVM(hosts, name: "back-and-forth", on: "a")
            var from = "a"
            var seen = try await MigrationConsole.waitForTick(hosts.a, id: id, atLeast: 3)
            var failures: [String] = []
            for move in 1...8 {
                let to = from == "a" ? "b" : "a"
                let source = hosts.hosts[from]!
                let (status, body) = try await MigrationHosts.send(
                    .POST, source, "/api/v2/vms/\(id)/migrate", json: #"{"live":true,"target":"\#(to)"}"#, timeout: .seconds(240))
                if status == 200 { from = to } else { failures.append("move \(move): \(status) \(String(decoding: body, as: UTF8.self))") }
                // Wherever it runs now, the guest goes on counting from where it was, with no new boot.
                let last = MigrationConsole.ticks(seen).last ?? 0
                let now = try await MigrationConsole.waitForTick(hosts.hosts[from]!, id: id, atLeast: last + 2, timeout: .seconds(120))
                #expect(MigrationConsole.markers(now) <= 1, "move \(move) (\(status)): \(MigrationConsole.summary(now))")
                #expect(
                    !MigrationConsole.counterWentBack(now),
                    "move \(move) (\(status)): the counter went on from \(last): \(MigrationConsole.summary(now))")
                seen = now
            }
            // Failures are allowed (each answered with its reason), reboots are not; report them for the record.
            if !failures.isEmpty { print("LiveMigrationKVMProcessTests: failed live moves: \(failures)") }
            _ = try? await MigrationHosts.send(.DELETE, hosts.hosts[from]!, "/api/v2/vms/\(id)?force=true", timeout: .seconds(90))
        }
    }

    @Test(
        "both hosts on one shared disk storage (--kvm-shared-dir): the VM moves live with no disk mirrored, runs on b once b owns it, and the disks stay where they are"
    )
    func liveMoveOnSharedStorage() async throws {
        try KVMTestSupport.requireQEMU()
        let guest = try await GuestImageFixture.guest()
        try await FixtureStack.with { stack in
            let shared = KVMTestSupport.temporaryDirectory("mig-shared")
            await stack.push("the shared storage \(shared)") { try? FileManager.default.removeItem(atPath: shared) }
            let hosts = try await MigrationHosts.start(
                stack, label: "shared", perHost: ["a": ["--kvm-shared-dir", shared], "b": ["--kvm-shared-dir", shared]])
            try await VMProcessSupport.importGuest(hosts.a, guest)
            let id = try await MigrationKVMProcessTests.createVM(
                hosts, name: "shared-move", on: "a", extra: #","disks":[{"id":"scratch","size_bytes":16777216}]"#)
            let disk = "\(shared)/instances/\(id)/disk-scratch.qcow2"
            #expect(FileManager.default.fileExists(atPath: disk), "the disk is on the shared storage")
            let before = try await MigrationConsole.waitForTick(hosts.a, id: id, atLeast: 3)

            let (status, body) = try await MigrationHosts.send(
                .POST, hosts.a, "/api/v2/vms/\(id)/migrate", json: #"{"live":true,"target":"b"}"#, timeout: .seconds(240))
            let text = String(decoding: body, as: UTF8.self)
            #expect(status == 200, "the live move: \(status) \(text)")
            let migration = (MigrationHosts.object(body) ?? [:])["migration"] as? [String: Any] ?? [:]
            #expect(migration["mode"] as? String == "live" && migration["outcome"] as? String == "moved", "\(text)")
            let figures = migration["figures"] as? [String: Any] ?? [:]
            #expect((figures["disk_bytes"] as? NSNumber)?.int64Value == 0, "no disk mirrored: \(figures)")

            // b's agent lets the guest run once b owns it: the count goes on, with no new boot.
            let lastBefore = MigrationConsole.ticks(before).last ?? 0
            let after = try await MigrationConsole.waitForTick(hosts.b, id: id, atLeast: lastBefore + 3, timeout: .seconds(120))
            #expect(MigrationConsole.markers(after) == 0, "no boot on b: \(MigrationConsole.summary(after))")
            #expect(!MigrationConsole.counterWentBack(after), "\(MigrationConsole.summary(after))")
            try await eventually("a's QEMU of \(id) is gone", timeout: .seconds(60), every: .milliseconds(500)) {
                hosts.qemuPid("a", instance: id) == nil
            }
            #expect(FileManager.default.fileExists(atPath: disk), "a's delete of its copy left the disks b uses")
            let vm = MigrationHosts.object(try await MigrationHosts.send(.GET, hosts.b, "/api/v2/vms/\(id)").body) ?? [:]
            #expect((vm["observed"] as? [String: Any])?["state"] as? String == "running", "\(vm)")
            let (deleted, _) = try await MigrationHosts.send(
                .DELETE, hosts.b, "/api/v2/vms/\(id)?force=true&wait=true", timeout: .seconds(90))
            #expect(deleted == 200)
            try await eventually("b's delete removes the shared disks", timeout: .seconds(30), every: .milliseconds(500)) {
                !FileManager.default.fileExists(atPath: "\(shared)/instances/\(id)")
            }
        }
    }

    @Test("worker drain a --migrate with two VMs and a container: the VMs move live, the container cold, each with its reason")
    func drainMovesLiveAndCold() async throws {
        try KVMTestSupport.requireQEMU()
        let guest = try await GuestImageFixture.guest()
        try await DockerRestartableDaemon.with(inNetworkNamespace: true) { dockerA in
            try await DockerRestartableDaemon.with(inNetworkNamespace: true) { dockerB in
                try await FixtureStack.with { stack in
                    let hosts = try await MigrationHosts.start(
                        stack, label: "drain", backends: "sim,kvm,docker",
                        environment: [
                            "a": ["FLOTILLA_DOCKER_SOCKET": dockerA.socketPath], "b": ["FLOTILLA_DOCKER_SOCKET": dockerB.socketPath],
                        ])
                    try await Self.drainScenario(hosts, guest)
                }
            }
        }
    }

    // MARK: Helpers

    static func drainScenario(_ hosts: MigrationHosts, _ guest: GuestImageFixture.Guest) async throws {
        try await VMProcessSupport.importGuest(hosts.a, guest)
        // b takes nothing while the three are created, so all three land on a.
        #expect(try await MigrationHosts.send(.POST, hosts.a, "/api/v1/workers/b/drain", json: "{}").status == 200)
        var vms: [String] = []
        for name in ["drain-vm-1", "drain-vm-2"] { vms.append(try await MigrationKVMProcessTests.createVM(hosts, name: name, on: "a")) }
        let container =
            #"{"name":"drain-box","backend":"docker","image":"\#(DockerFixture.image)","command":["sleep","3600"],"resources":{"cpu_cores":0.5,"memory_mb":64}}"#
        let (created, data) = try await MigrationHosts.send(
            .POST, hosts.a, "/api/v2/vms?wait=running", json: container, timeout: .seconds(120))
        let box = try #require(
            MigrationHosts.object(data)?["id"] as? String, "container: \(created) \(String(decoding: data, as: UTF8.self))")
        #expect(try await MigrationHosts.send(.POST, hosts.a, "/api/v1/workers/b/activate").status == 200)
        var ticks: [String: Int] = [:]
        for id in vms { ticks[id] = MigrationConsole.ticks(try await MigrationConsole.waitForTick(hosts.a, id: id, atLeast: 3)).last }

        let (status, body) = try await MigrationHosts.send(
            .POST, hosts.a, "/api/v1/workers/a/drain", json: #"{"migrate":true,"deadline_seconds":240}"#, timeout: .seconds(300))
        let text = String(decoding: body, as: UTF8.self)
        #expect(status == 200, "drain: \(status) \(text)")
        let moves = (MigrationHosts.object(body)?["moves"] as? [[String: Any]]) ?? []
        func move(_ id: String) -> [String: Any] { moves.first { $0["id"] as? String == id } ?? [:] }
        for id in vms {
            #expect(move(id)["mode"] as? String == "live" && move(id)["outcome"] as? String == "moved", "VM \(id): \(text)")
            let after = try await MigrationConsole.waitForTick(hosts.b, id: id, atLeast: (ticks[id] ?? 0) + 3, timeout: .seconds(120))
            #expect(
                MigrationConsole.markers(after) <= 1 && !MigrationConsole.counterWentBack(after),
                "VM \(id) kept running: \(MigrationConsole.summary(after))")
            let vm = MigrationHosts.object(try await MigrationHosts.send(.GET, hosts.a, "/api/v2/vms/\(id)").body) ?? [:]
            #expect((vm["migration"] as? [String: Any])?["mode"] as? String == "live", "\(vm["migration"] ?? "no migration")")
        }
        let boxMove = move(box)
        #expect(boxMove["mode"] as? String == "cold" && boxMove["outcome"] as? String == "moved", "container: \(text)")
        #expect((boxMove["reason"] as? String)?.isEmpty == false, "the drain answer says why the container moved cold: \(text)")
        let boxRecord = MigrationHosts.object(try await MigrationHosts.send(.GET, hosts.a, "/api/v2/vms/\(box)").body) ?? [:]
        let boxMigration = boxRecord["migration"] as? [String: Any] ?? [:]
        #expect(boxMigration["mode"] as? String == "cold" && (boxMigration["reason"] as? String)?.isEmpty == false, "\(boxMigration)")
        #expect((boxRecord["host"] as? [String: Any])?["id"] as? String == "b")
        for id in vms + [box] {
            _ = try? await MigrationHosts.send(.DELETE, hosts.b, "/api/v2/vms/\(id)?force=true", timeout: .seconds(90))
        }
    }

    /// A 16 MiB ext4 volume holding token.txt (``VMDiskProcessTests/ext4Image(in:token:)``), with a marker in its first
    /// sector (ext4 leaves the first 1024 bytes alone): the guest's `flotilla.rotest` overwrites that sector with zeros.
    static func markedVolume(in dir: String, token: String) async throws -> String {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let image = try await VMDiskProcessTests.ext4Image(in: dir, token: token)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: image))
        try handle.write(contentsOf: Data(String(repeating: "FLOTILLA-SECTOR0-MARK ", count: 20).utf8.prefix(440)))
        try handle.close()
        return image
    }

    /// The instance's `data` disk in its QEMU folder (an overlay on the catalog's volume, docs/decisions/0026-vm-disks.md).
    static func diskFile(under folder: String) -> String? {
        let path = folder + "/disk-data.qcow2"
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }
}
