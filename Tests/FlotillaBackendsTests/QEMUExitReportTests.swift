import FlotillaCore
import Testing

@testable import FlotillaBackends

/// How the end of a QEMU run that Flotilla did not ask for is reported (pure table).
@Suite struct QEMUExitReportTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var exit: QEMUProcess.Exit
        var output = ""
        var console = ""
        var state: ObservedInstance.State
        var description: String
        var exitCode: Int32?
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        Row(
            name: "a guest poweroff is a stop", exit: .init(code: 0, signal: nil), console: "reboot: Power down\n",
            state: .stopped, description: "the guest powered off (QEMU exited with code 0)", exitCode: 0),
        Row(
            name: "SIGKILL from outside", exit: .init(code: nil, signal: 9), state: .error,
            description: "QEMU was killed by signal 9 (SIGKILL), not sent by Flotilla", exitCode: 137),
        Row(
            name: "SIGTERM handled by QEMU, which then exits with 0", exit: .init(code: 0, signal: nil),
            output: "qemu-system-x86_64: terminating on signal 15 from pid 4242 (bash)\n", console: "FLOTILLA-TICK 3\n",
            state: .error, description: "QEMU ended by signal 15 (SIGTERM) sent from outside Flotilla (pid 4242, bash)",
            exitCode: 143),
        Row(
            name: "a sender whose name has spaces", exit: .init(code: 0, signal: nil),
            output: "qemu-system-x86_64: terminating on signal 1 from pid 77 (my tool)\r\n", state: .error,
            description: "QEMU ended by signal 1 (SIGHUP) sent from outside Flotilla (pid 77, my tool)", exitCode: 129),
        Row(
            name: "a signal without its sender", exit: .init(code: 0, signal: nil),
            output: "qemu-system-x86_64: terminating on signal 2\n", state: .error,
            description: "QEMU ended by signal 2 (SIGINT) sent from outside Flotilla", exitCode: 130),
        Row(
            name: "an adopted QEMU ended by SIGTERM", exit: .init(code: nil, signal: nil),
            output: "qemu-system-x86_64: terminating on signal 15 from pid 9 (systemd)\n", state: .error,
            description: "QEMU ended by signal 15 (SIGTERM) sent from outside Flotilla (pid 9, systemd)", exitCode: 143),
        Row(
            name: "an adopted QEMU that ended silently", exit: .init(code: nil, signal: nil), state: .error,
            description: "QEMU exited while adopted (exit status unknown)", exitCode: nil),
        Row(
            name: "a guest kernel panic", exit: .init(code: 0, signal: nil),
            console: "[    1.0] Kernel panic - not syncing: Attempted to kill init!\n", state: .error,
            description: "the guest kernel panicked (QEMU exited with code 0; see the console)", exitCode: 0),
        Row(
            name: "a failure keeps QEMU's last words", exit: .init(code: 1, signal: nil),
            output: "qemu-system-x86_64: warning: something\nqemu-system-x86_64: cannot set up guest memory 'pc.ram'\n\n",
            state: .error, description: "QEMU exited with code 1: qemu-system-x86_64: cannot set up guest memory 'pc.ram'",
            exitCode: 1),
        Row(
            name: "a crash", exit: .init(code: nil, signal: 11), state: .error,
            description: "QEMU was killed by signal 11 (SIGSEGV), not sent by Flotilla", exitCode: 139),
    ]

    @Test(arguments: rows)
    func report(_ row: Row) {
        let observed = QEMUExitReport.observed(id: "i1", exit: row.exit, output: row.output, consoleTail: row.console)
        #expect(observed == ObservedInstance(id: "i1", state: row.state, description: row.description, exitCode: row.exitCode))
    }

    @Test func theLastAnnouncementCounts() {
        let output = "terminating on signal 2 from pid 1 (a)\nterminating on signal 15 from pid 2 (b)\n"
        let announced = QEMUExitReport.terminationSignal(in: output)
        #expect(announced?.signal == 15 && announced?.pid == 2 && announced?.sender == "b")
        #expect(QEMUExitReport.terminationSignal(in: "qemu-system-x86_64: terminating on signal x\n") == nil)
    }
}
