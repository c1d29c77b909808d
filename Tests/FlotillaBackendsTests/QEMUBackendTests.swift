import FlotillaBackends
import FlotillaCore
import FlotillaTestSupport
import Foundation
import Testing

/// Real QEMU (TCG) behaviour of the `kvm` backend, checked against the QEMU process and QMP.
@Suite(.serialized, .enabled(if: KVMTestSupport.enabled, KVMTestSupport.skipReason))
struct QEMUBackendTests {
    /// How long the test guest may take to print its marker under TCG on a busy machine.
    static let bootTimeout: Duration = .seconds(300)

    func withBackend(_ body: (QEMUBackend, GuestImageFixture.Guest, String) async throws -> Void) async throws {
        try await QEMUFixtures.withBackend(body)
    }

    static func newId() -> String { QEMUFixtures.newId() }

    static func ticks(_ backend: QEMUBackend, _ id: String) async throws -> Int {
        let text = try await backend.console(id: id, lines: 50)
        return text.split(separator: "\n").compactMap { line -> Int? in
            guard line.hasPrefix("FLOTILLA-TICK ") else { return nil }
            return Int(line.dropFirst("FLOTILLA-TICK ".count).trimmingCharacters(in: .whitespaces))
        }.last ?? -1
    }

    static func waitForMarker(_ backend: QEMUBackend, _ id: String) async throws {
        do {
            try await eventually(
                "the guest prints \(GuestImageFixture.marker) on its console", timeout: bootTimeout, every: .milliseconds(250)
            ) {
                try await backend.console(id: id, lines: 200).contains(GuestImageFixture.marker)
            }
        } catch {
            Issue.record("console tail:\n\((try? await backend.console(id: id, lines: 20)) ?? "")")
            throw error
        }
    }

    @Test func bootPauseResumeStopRestartDelete() async throws {
        try await withBackend { backend, guest, dir in
            let id = Self.newId()
            try await backend.create(QEMUFixtures.request(id: id, guest: guest))
            #expect(try await backend.inspect(id: id).state == .created)
            let files = dir + "/" + id
            #expect(FileManager.default.fileExists(atPath: files + "/overlay.qcow2"))
            #expect(FileManager.default.fileExists(atPath: files + "/owner"))

            try await backend.start(id: id)
            let pid1 = try #require(try await backend.pid(id: id))
            #expect(KVMTestSupport.isAlive(pid1))
            #expect(
                try String(contentsOfFile: files + "/qemu.pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
                    == "\(pid1)")
            #expect(try await backend.inspect(id: id).state == .running)
            try await Self.waitForMarker(backend, id)

            // Pause: QMP says paused and the guest's counter stops; unpause: it moves again.
            try await eventually("the guest counts", timeout: .seconds(60)) { try await Self.ticks(backend, id) >= 1 }
            // How long the running guest takes, on this machine now, to print two ticks: the pause below lasts twice
            // that, so that a guest that kept running would have printed about four.
            let counting = ContinuousClock.now
            let first = try await Self.ticks(backend, id)
            try await eventually("the guest prints two more ticks", timeout: .seconds(60)) {
                try await Self.ticks(backend, id) >= first + 2
            }
            let twoTicks = ContinuousClock.now - counting
            try await backend.pause(id: id)
            #expect(try await backend.inspect(id: id).state == .paused)
            let frozen = try await Self.ticks(backend, id)
            try await Task.sleep(for: twoTicks * 2)
            #expect(try await Self.ticks(backend, id) == frozen, "no progress while paused")
            #expect(KVMTestSupport.isAlive(pid1), "pause keeps the process")
            try await backend.resume(id: id)
            #expect(try await backend.inspect(id: id).state == .running)
            try await eventually("progress after unpause", timeout: .seconds(60)) { try await Self.ticks(backend, id) > frozen }

            // Graceful stop of a booted guest: ACPI powerdown, which the guest's acpid turns into poweroff.
            let before = ContinuousClock.now
            try await backend.stop(id: id, force: false, timeout: .seconds(60))
            let stopped = try await backend.inspect(id: id)
            #expect(stopped.state == .stopped)
            #expect(!KVMTestSupport.isAlive(pid1), "QEMU is gone after a graceful stop")
            #expect(!FileManager.default.fileExists(atPath: files + "/qmp.sock"))
            let console = try await backend.console(id: id, lines: 50)
            #expect(
                stopped.description == "stopped (the guest powered off)" && console.contains("FLOTILLA-GUEST-POWEROFF"),
                "the guest handled the ACPI powerdown (\(stopped.description ?? ""), took \(ContinuousClock.now - before))")

            // Start again: a new QEMU. Restart (soft) with a short timeout: the booting guest ignores the
            // powerdown, so QEMU is quit at the timeout and started again.
            try await backend.start(id: id)
            let pid2 = try #require(try await backend.pid(id: id))
            #expect(pid2 != pid1)
            try await backend.restart(id: id, hard: false, timeout: .seconds(2))
            let pid3 = try #require(try await backend.pid(id: id))
            #expect(pid3 != pid2 && !KVMTestSupport.isAlive(pid2) && KVMTestSupport.isAlive(pid3))
            #expect(try await backend.inspect(id: id).state == .running)

            // A graceful stop with a 2 s timeout ends stopped (quit after the timeout).
            try await backend.stop(id: id, force: false, timeout: .seconds(2))
            #expect(try await backend.inspect(id: id).state == .stopped)
            #expect(!KVMTestSupport.isAlive(pid3))

            // Forced stop: at once.
            try await backend.start(id: id)
            let pid4 = try #require(try await backend.pid(id: id))
            let forcedAt = ContinuousClock.now
            try await backend.stop(id: id, force: true, timeout: .seconds(60))
            #expect(ContinuousClock.now - forcedAt < .seconds(10))
            #expect(try await backend.inspect(id: id).state == .stopped)
            #expect(!KVMTestSupport.isAlive(pid4))

            // Delete (forced, running): the process, the overlay, the sockets, the folder are gone.
            try await backend.start(id: id)
            let pid5 = try #require(try await backend.pid(id: id))
            await #expect(throws: BackendError.self) { try await backend.delete(id: id, force: false) }
            #expect(KVMTestSupport.isAlive(pid5))
            try await backend.delete(id: id, force: true)
            #expect(!KVMTestSupport.isAlive(pid5))
            #expect(!FileManager.default.fileExists(atPath: files + "/overlay.qcow2"))
            #expect(!FileManager.default.fileExists(atPath: files + "/qmp.sock"))
            #expect(!FileManager.default.fileExists(atPath: files))
            await #expect(throws: BackendError.notFound(id)) { _ = try await backend.inspect(id: id) }
        }
    }

    @Test func qemuKilledWithSIGKILLIsReportedAsErrorWithin5Seconds() async throws {
        try await withBackend { backend, guest, dir in
            let id = Self.newId()
            try await backend.create(QEMUFixtures.request(id: id, guest: guest))
            try await backend.start(id: id)
            let pid = try #require(try await backend.pid(id: id))
            kill(pid, SIGKILL)
            // A generous cap: the reaper sees the exit within milliseconds (QEMUChangeTests prints the delay); 5 s
            // only catches a backend that would wait for something else (a poll, a QMP timeout) to notice.
            try await eventually("error within 5 s", timeout: .seconds(5), every: .milliseconds(100)) {
                try await backend.inspect(id: id).state == .error
            }
            let observed = try await backend.inspect(id: id)
            #expect(observed.exitCode == 137)
            #expect(observed.description?.contains("signal 9") == true, "\(observed.description ?? "")")
            #expect(FileManager.default.fileExists(atPath: dir + "/" + id + "/console.log"), "the serial log is kept")
            // A crashed VM can be started again.
            try await backend.start(id: id)
            #expect(try await backend.inspect(id: id).state == .running)
        }
    }

    @Test func aNewBackendAdoptsRunningVMsWithoutRestartingThem() async throws {
        try await withBackend { first, guest, dir in
            let running = Self.newId()
            let stopped = Self.newId()
            try await first.create(QEMUFixtures.request(id: running, guest: guest))
            try await first.create(QEMUFixtures.request(id: stopped, guest: guest))
            try await first.start(id: running)
            let pid = try #require(try await first.pid(id: running))

            // A second backend on the same folder, as after a restart of `flotilla serve` (whose connections
            // closed with it).
            await first.shutdown()
            let second = QEMUFixtures.backend(directory: dir)
            let listed = Dictionary(uniqueKeysWithValues: try await second.list().map { ($0.id, $0) })
            #expect(listed[running]?.state == .running)
            #expect(listed[stopped]?.lifecycleState == .stopped)
            #expect(try await second.pid(id: running) == pid, "the same QEMU, not a new one")
            #expect(KVMTestSupport.isAlive(pid))
            // Adopted VMs are controlled over QMP like launched ones.
            try await second.pause(id: running)
            #expect(try await second.inspect(id: running).state == .paused)
            try await second.resume(id: running)
            #expect(try await second.inspect(id: running).state == .running)
            #expect(try await second.pid(id: running) == pid)
            // A QEMU of another host's folder token is not adopted.
            let stranger = QEMUBackend(configuration: .init(directory: dir + "-other", accel: .tcg))
            #expect(try await stranger.list().isEmpty)
            try? FileManager.default.removeItem(atPath: dir + "-other")
            // An adopted QEMU that dies is an error (its exit status is not known: it is not our child).
            kill(pid, SIGKILL)
            try await eventually("the adopted QEMU's death is an error", timeout: .seconds(5), every: .milliseconds(100)) {
                try await second.inspect(id: running).state == .error
            }
        }
    }

    @Test func cloudInitDataBecomesANoCloudVolume() async throws {
        try await withBackend { backend, guest, dir in
            let id = Self.newId()
            let config = InstanceConfig(
                image: "flotilla-test-guest",
                cloudInit: CloudInit(userData: "#cloud-config\nhostname: demo\n", metaData: "instance-id: demo\n"))
            try await backend.create(QEMUFixtures.request(id: id, guest: guest, config: config))
            let iso = try #require(FileManager.default.contents(atPath: dir + "/" + id + "/cidata.iso"))
            // ISO 9660 primary volume descriptor at sector 16: "CD001", volume id "cidata".
            #expect(iso.count > 32_808)
            #expect(String(decoding: iso[32_769..<32_774], as: UTF8.self) == "CD001")
            #expect(String(decoding: iso[32_808..<32_814], as: UTF8.self) == "cidata")
            #expect(String(decoding: iso, as: UTF8.self).contains("hostname: demo"))
            #expect(try await backend.arguments(id: id).contains { $0.contains("cidata.iso") })
        }
    }

    @Test func autoAccelerationNeverHangsAndFallsBackToTCG() async throws {
        try KVMTestSupport.requireQEMU()
        let guest = try await GuestImageFixture.guest()
        let dir = KVMTestSupport.temporaryDirectory("accel")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let detector = AccelDetector(
            mode: .auto, qemuPath: "/usr/bin/qemu-system-x86_64", workDir: dir, probeTimeout: .seconds(5))
        let began = ContinuousClock.now
        let accel = await detector.accel(kernel: guest.kernel)
        #expect(ContinuousClock.now - began < .seconds(20), "the probe has a deadline")
        #expect(detector.detected == accel, "the answer is cached")
        if open("/dev/kvm", O_RDWR) < 0 { #expect(accel == .tcg) }
        if let expected = ProcessInfo.processInfo.environment["FLOTILLA_EXPECT_ACCEL"] {
            #expect(accel.rawValue == expected)
        }
        #expect(await AccelDetector(mode: .tcg, qemuPath: "x", workDir: dir).accel(kernel: nil) == .tcg)
    }

    @Test func createRefusesImagesWithoutKernel() async throws {
        try await withBackend { backend, _, _ in
            let id = Self.newId()
            let request = BackendCreateRequest(
                id: id, name: "nokernel", kind: .vm,
                spec: InstanceSpec(config: InstanceConfig(image: "ubuntu-22.04"), resources: QEMUFixtures.resources))
            await #expect(throws: BackendError.self) { try await backend.create(request) }
            await #expect(throws: BackendError.notFound(id)) { _ = try await backend.inspect(id: id) }
        }
    }
}
