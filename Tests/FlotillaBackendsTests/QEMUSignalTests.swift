import FlotillaCore
import FlotillaTestSupport
import Foundation
import Testing

@testable import FlotillaBackends

/// The children of the `kvm` backend start with an empty signal mask and default dispositions, so that an
/// operator's `kill`, Ctrl-C or a systemd stop reaches them.
@Suite(.serialized, .enabled(if: KVMTestSupport.enabled, KVMTestSupport.skipReason))
struct QEMUSignalTests {
    /// A field of /proc/<pid>/status holding a signal set (`SigBlk`, `SigIgn`), as a bit mask.
    static func signalSet(_ field: String, in status: String) -> UInt64? {
        for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
            return UInt64(line.dropFirst(field.count + 1).trimmingCharacters(in: .whitespaces), radix: 16)
        }
        return nil
    }

    static func bit(_ signal: Int32) -> UInt64 { 1 << UInt64(signal - 1) }

    @Test func aHelperProgramStartsWithNoBlockedAndNoIgnoredSignal() async throws {
        let status = try await Subprocess.run("/bin/cat", ["/proc/self/status"], timeout: .seconds(10))
        #expect(Self.signalSet("SigBlk", in: status) == 0, "\(status)")
        #expect(Self.signalSet("SigIgn", in: status) == 0, "\(status)")
    }

    /// QEMU blocks a few signals itself (SIGBUS, SIGUSR1, SIGALRM, SIGIO, read through a signalfd) and ignores
    /// SIGPIPE, so its own masks are not empty; the signals that end a process must not be among them.
    @Test func aLaunchedQEMUTakesTerminationSignalsAndEndsOnSIGTERM() async throws {
        try await QEMUFixtures.withBackend { backend, guest, _ in
            let id = QEMUFixtures.newId()
            try await backend.create(QEMUFixtures.request(id: id, guest: guest))
            try await backend.start(id: id)
            let pid = try #require(try await backend.pid(id: id))
            let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
            let blocked = try #require(Self.signalSet("SigBlk", in: status))
            let ignored = try #require(Self.signalSet("SigIgn", in: status))
            for signal in [SIGTERM, SIGINT, SIGHUP, SIGQUIT] {
                #expect(blocked & Self.bit(signal) == 0, "signal \(signal) is blocked in QEMU: SigBlk \(String(blocked, radix: 16))")
                #expect(ignored & Self.bit(signal) == 0, "signal \(signal) is ignored by QEMU: SigIgn \(String(ignored, radix: 16))")
            }
            kill(pid, SIGTERM)
            // Generous cap: QEMU exits at once on SIGTERM; the bound only keeps a hang from lasting forever.
            try await eventually("QEMU ends after kill -TERM from outside", timeout: .seconds(30)) {
                !KVMTestSupport.isAlive(pid)
            }
        }
    }
}
