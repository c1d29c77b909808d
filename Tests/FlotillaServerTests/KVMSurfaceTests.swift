import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaTestSupport
import Foundation
import Testing

/// The `kvm` backend through surface A, with real QEMU (TCG) in an in-process host.
/// The console route on sim and the image importer need no QEMU; the other tests do.
@Suite(.serialized)
struct KVMSurfaceTests {
    static let imageId = "flotilla-test-guest"

    static func configure(_ c: inout HostConfiguration) {
        c.backends = [.sim, .kvm]
        c.kvmAccel = .tcg
    }

    /// Registers the test guest as a catalog image, as `flotilla image import` would.
    static func importGuest(_ host: TestHost) async throws {
        let guest = try await GuestImageFixture.guest()
        try await ImageImporter(store: host.host.store).importImage(
            .init(id: imageId, kernelPath: guest.kernel, initrdPath: guest.initrd, osDistro: "busybox"))
        try await eventually("the registry holds the imported image", timeout: .seconds(5), every: .milliseconds(20)) {
            host.host.registry.read { $0.images[imageId]?.artifacts.kernelPath != nil }
        }
    }

    static let createBody = body(policy: "always")

    static func body(name: String = "vm1", policy: String) -> String {
        #"{"name":"\#(name)","backend":"kvm","config":{"image":"flotilla-test-guest","restartPolicy":"\#(policy)"},"resources":{"cpu":{"cores":1},"memory":{"limit":134217728}}}"#
    }

    static func console(_ probe: HTTPProbe, _ id: String) async throws -> String {
        let r = try await probe.get("/api/v1/compute/instances/\(id)/console?lines=200")
        return (r.json["output"] as? String) ?? ""
    }

    static func qemuPid(_ dataDir: String, _ id: String) -> Int32? {
        (try? String(contentsOfFile: "\(dataDir)/kvm/\(id)/qemu.pid", encoding: .utf8))
            .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    @Test(.enabled(if: KVMTestSupport.enabled, KVMTestSupport.skipReason))
    func aVMCreatedThroughSurfaceCOnKVMBootsStopsAndIsDeleted() async throws {
        try KVMTestSupport.requireQEMU()
        let dir = KVMTestSupport.temporaryDirectory("kvmc")
        defer { KVMTestSupport.killQEMUs(under: dir) }
        try await withProbe(dataDir: dir, configure: Self.configure) { probe, host in
            try await Self.importGuest(host)
            let created = try await probe.post(
                "/api/v1/vms",
                #"{"name":"vmc","flavor_id":"m1.tiny","image_id":"flotilla-test-guest","metadata":{"backend":"kvm"}}"#)
            #expect(created.status == 201, "\(created.text)")
            #expect(created["state"] == "ACTIVE", "\(created.text)")
            #expect(created["backend"] == "kvm")
            let id = try #require(created["uuid"])
            // Up, not only booted: the stop below presses the power button, which the guest's acpid must be
            // listening for (it starts just before the marker); its counter shows the init went on past it.
            // (A wait that fails shows the console below.)
            let booted =
                (try? await eventually("the guest is up", timeout: .seconds(300), every: .milliseconds(500)) {
                    let console = try await Self.console(probe, id)
                    return console.contains(GuestImageFixture.marker) && console.contains("FLOTILLA-TICK ")
                }) != nil
            let console = try await Self.console(probe, id)
            #expect(booted, "console: \(console)")
            #expect(Self.qemuPid(dir, id) != nil, "one QEMU process runs the VM")
            let stopped = try await probe.post("/api/v1/vms/\(id)/stop", "{}")
            #expect(stopped.status == 200, "\(stopped.text)")
            #expect(stopped["current_state"] == "SHUTOFF")
            let deleted = try await probe.delete("/api/v1/vms/\(id)")
            #expect(deleted.status == 200, "\(deleted.text)")
            #expect(deleted["current_state"] == "DELETED")
            #expect(try await probe.get("/api/v1/vms/\(id)").status == 404)
        }
    }

    @Test(.enabled(if: KVMTestSupport.enabled, KVMTestSupport.skipReason))
    func aVMCreatedThroughTheAPIBootsAndItsConsoleShowsTheMarker() async throws {
        try KVMTestSupport.requireQEMU()
        let dir = KVMTestSupport.temporaryDirectory("kvms")
        defer { KVMTestSupport.killQEMUs(under: dir) }
        try await withProbe(dataDir: dir, configure: Self.configure) { probe, host in
            try await Self.importGuest(host)
            // Restart policy never: the kill below stays as it is, to be read.
            let created = try await probe.post("/api/v1/compute/instances", Self.body(policy: "no"))
            #expect(created.status == 201, "\(created.text)")
            let id = try #require(created["id"])
            #expect(created["state"] == "running", "\(created.text)")
            // (A wait that fails shows the console below.)
            let booted =
                (try? await eventually("the guest boots", timeout: .seconds(300), every: .milliseconds(500)) {
                    try await Self.console(probe, id).contains(GuestImageFixture.marker)
                }) != nil
            let console = try await Self.console(probe, id)
            #expect(booted, "console: \(console)")
            let limited = try await probe.get("/api/v1/compute/instances/\(id)/console?lines=1")
            #expect(limited.status == 200)
            #expect((limited.json["lines"] as? Int) == 1)
            #expect(try await probe.get("/api/v1/compute/instances/\(id)/console?lines=0").status == 400)
            #expect(try await probe.get("/api/v1/compute/instances/\(id)/console?lines=10001").status == 400)
            // QEMU killed behind Flotilla's back: the API reports error with the signal within 5 s, and the
            // console log is kept.
            let pid = try #require(Self.qemuPid(dir, id))
            kill(pid, SIGKILL)
            try await eventually("the crash is reported as error within 5 s", timeout: .seconds(5), every: .milliseconds(100)) {
                try await probe.get("/api/v1/compute/instances/\(id)")["state"] == "error"
            }
            let crashed = try await probe.get("/api/v1/compute/instances/\(id)")
            #expect(crashed["stateDescription"]?.contains("signal 9") == true, "\(crashed.text)")
            #expect(try await Self.console(probe, id).contains(GuestImageFixture.marker), "the serial log is kept")
            let deleted = try await probe.delete("/api/v1/compute/instances/\(id)?force=true")
            #expect(deleted.status < 300, "\(deleted.text)")
        }
    }

    /// A QEMU started by Flotilla has a clean signal mask, so SIGTERM from anyone ends it; the instance is then
    /// recorded as that kill behind Flotilla's back, on every surface, and its restart policy (always) boots it
    /// again.
    @Test(.enabled(if: KVMTestSupport.enabled, KVMTestSupport.skipReason))
    func aSIGTERMToQEMUIsRecordedAsTheKillThenThePolicyRestartsIt() async throws {
        try KVMTestSupport.requireQEMU()
        let dir = KVMTestSupport.temporaryDirectory("kvmt")
        defer { KVMTestSupport.killQEMUs(under: dir) }
        try await withProbe(dataDir: dir, configure: Self.configure) { probe, host in
            try await Self.importGuest(host)
            let created = try await probe.post("/api/v1/compute/instances", Self.body(name: "vmterm", policy: "always"))
            #expect(created.status == 201, "\(created.text)")
            let id = try #require(created["id"])
            let pid = try #require(Self.qemuPid(dir, id))
            let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
            // QEMU blocks a few signals of its own (SIGBUS, SIGUSR1, SIGALRM, SIGIO); SIGTERM must not be among them.
            let blocked = status.split(separator: "\n").first { $0.hasPrefix("SigBlk:") }
                .flatMap { UInt64($0.dropFirst("SigBlk:".count).trimmingCharacters(in: .whitespaces), radix: 16) }
            #expect(blocked.map { $0 & (1 << (UInt64(SIGTERM) - 1)) == 0 } == true, "SIGTERM is not blocked: \(status)")
            let updates = host.host.registry.updates()
            kill(pid, SIGTERM)
            // The kill is recorded as it is (not as a guest poweroff), with the restart the policy planned.
            var recorded: Instance?
            for await _ in updates {
                guard let i = host.host.registry.read({ $0.instances[id]?.value }), i.state == .error || i.state == .stopped
                else { continue }
                recorded = i
                break
            }
            let killed = try #require(recorded)
            #expect(killed.state == .error, "\(killed.stateDescription ?? "")")
            #expect(killed.stateDescription?.contains("signal 15") == true, "\(killed.stateDescription ?? "")")
            #expect(killed.restarts?.attempts == 1)
            try await eventually("restarted by its policy", timeout: .seconds(120), every: .milliseconds(200)) {
                try await probe.get("/api/v1/compute/instances/\(id)")["state"] == "running"
            }
            #expect(Self.qemuPid(dir, id) != pid, "a new QEMU")
            let deleted = try await probe.delete("/api/v1/compute/instances/\(id)?force=true")
            #expect(deleted.status < 300, "\(deleted.text)")
        }
    }

    @Test func consoleOfASimInstanceIsNotSupported() async throws {
        try await withProbe(configure: { $0.backends = [.sim] }) { probe, _ in
            let id = try await probe.createSim("c1")
            let r = try await probe.get("/api/v1/compute/instances/\(id)/console")
            #expect(r.status == 409, "\(r.text)")
            #expect(r.errorCode == "OPERATION_NOT_SUPPORTED")
            #expect(try await probe.get("/api/v1/compute/instances/00000000-0000-0000-0000-000000000000/console").status == 404)
        }
    }

    @Test(.enabled(if: KVMTestSupport.enabled, KVMTestSupport.skipReason))
    func aRestartedHostAdoptsTheRunningVM() async throws {
        try KVMTestSupport.requireQEMU()
        let dir = KVMTestSupport.temporaryDirectory("kvma")
        defer {
            KVMTestSupport.killQEMUs(under: dir)
            try? FileManager.default.removeItem(atPath: dir)
        }
        let (id, pid) = try await withProbe(dataDir: dir, keepData: true, configure: Self.configure) { probe, host in
            try await Self.importGuest(host)
            let created = try await probe.post("/api/v1/compute/instances", Self.createBody)
            #expect(created.status == 201, "\(created.text)")
            let id = try #require(created["id"])
            let pid = try #require(Self.qemuPid(dir, id))
            return (id, pid)
        }
        // The first host is gone; its VM runs on.
        #expect(KVMTestSupport.isAlive(pid))
        try await withProbe(dataDir: dir, keepData: true, configure: Self.configure) { probe, _ in
            // Once the new host's agent has looked at the VM three times (once per reconcile round), so has reconciled
            // it at least twice, the VM is the same QEMU, running, and still controlled.
            try await eventually("the agent looks at the adopted VM three times", timeout: .seconds(60)) {
                try await Scrape(probe).inspections("kvm") >= 3
            }
            let got = try await probe.get("/api/v1/compute/instances/\(id)")
            #expect(got.text.contains("running"), "\(got.text)")
            #expect(Self.qemuPid(dir, id) == pid, "not restarted")
            #expect(KVMTestSupport.isAlive(pid))
            let paused = try await probe.put("/api/v1/compute/instances/\(id)/pause")
            #expect(paused.status < 300, "\(paused.text)")
            #expect(KVMTestSupport.isAlive(pid))
            let deleted = try await probe.delete("/api/v1/compute/instances/\(id)?force=true")
            #expect(deleted.status < 300, "\(deleted.text)")
            try await eventually("delete ends the adopted QEMU", timeout: .seconds(20), every: .milliseconds(200)) {
                !KVMTestSupport.isAlive(pid)
            }
        }
    }

    @Test func imageImportRegistersKernelAndInitrd() async throws {
        try await TestHost.with { host in
            let dir = KVMTestSupport.temporaryDirectory("img")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            _ = FileManager.default.createFile(atPath: dir + "/vmlinuz", contents: Data(repeating: 1, count: 1000))
            _ = FileManager.default.createFile(atPath: dir + "/initrd", contents: Data(repeating: 2, count: 24))
            let importer = ImageImporter(store: host.host.store)
            let image = try await importer.importImage(.init(id: "tiny", kernelPath: dir + "/vmlinuz", initrdPath: dir + "/initrd"))
            #expect(image.sizeBytes == 1024)
            let stored = try #require(try await host.host.store.get(StoreKeys.image("tiny")))
            let decoded = try StoreCodec.decode(Image.self, from: stored.value)
            #expect(decoded.artifacts.kernelPath == dir + "/vmlinuz")
            #expect(decoded.artifacts.initrdPath == dir + "/initrd")
            #expect(decoded.artifacts.missing(for: .kvm) == nil)
            // A built-in image keeps its Docker reference and gains kvm artifacts.
            let debian = try await importer.importImage(.init(id: "debian-12", kernelPath: dir + "/vmlinuz"))
            #expect(debian.artifacts.dockerReference == "debian:12")
            #expect(debian.artifacts.kernelPath == dir + "/vmlinuz")
            await #expect(throws: FlotillaError.self) {
                try await importer.importImage(.init(id: "bad", kernelPath: dir + "/missing"))
            }
            await #expect(throws: FlotillaError.self) {
                try await importer.importImage(.init(id: "bad", kernelPath: dir + "/vmlinuz", rootDiskFormat: "vmdk"))
            }
        }
    }
}
