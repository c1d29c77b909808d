import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One running `qemu-system-x86_64`: either launched here (a child: its exit status is known exactly,
/// from `Process.terminationHandler`) or adopted after a restart (not a child: its end is seen by its pid
/// disappearing, and the exit status is unknown).
final class QEMUProcess: Sendable {
    /// How a QEMU process ended.
    struct Exit: Sendable, Equatable {
        /// The exit code, or 128 + signal when killed by a signal; nil when unknown (an adopted process).
        var code: Int32?
        var signal: Int32?
        var description: String {
            if let signal { return "QEMU was killed by signal \(signal)\(Self.signalName(signal))" }
            if let code { return "QEMU exited with code \(code)" }
            return "QEMU exited while adopted (exit status unknown)"
        }
        static func signalName(_ signal: Int32) -> String {
            switch signal {
            case SIGKILL: return " (SIGKILL)"
            case SIGTERM: return " (SIGTERM)"
            case SIGSEGV: return " (SIGSEGV)"
            case SIGABRT: return " (SIGABRT)"
            case SIGINT: return " (SIGINT)"
            default: return ""
            }
        }
        var exitCode: Int32? { signal.map { 128 + $0 } ?? code }
    }

    let pid: Int32
    let adopted: Bool
    let startedAt: Date
    private let state: Mutex<State>
    private struct State {
        var exit: Exit?
        /// Set before Flotilla ends the process itself, so that its end is not an unexpected death.
        var expected = false
    }
    /// Keeps the `Process` (and so Foundation's reaping of the child) alive; nil for an adopted process.
    private let holder: ProcessHolder?

    private init(pid: Int32, adopted: Bool, startedAt: Date, holder: ProcessHolder?) {
        self.pid = pid
        self.adopted = adopted
        self.startedAt = startedAt
        self.state = Mutex(State())
        self.holder = holder
    }

    /// Starts QEMU with stdin from /dev/null and stdout/stderr appended to `outputPath`. `onExit` is called
    /// once when it ends (from Foundation's termination callback), with whether Flotilla expected it.
    static func launch(
        executable: String, arguments: [String], outputPath: String,
        onExit: @escaping @Sendable (_ exit: Exit, _ expected: Bool) -> Void
    ) throws -> QEMUProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        if !FileManager.default.fileExists(atPath: outputPath) {
            _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        output.seekToEndOfFile()
        process.standardOutput = output
        process.standardError = output
        let box = Box()
        process.terminationHandler = { p in
            let exit =
                p.terminationReason == .uncaughtSignal
                ? Exit(code: nil, signal: p.terminationStatus) : Exit(code: p.terminationStatus, signal: nil)
            guard let me = box.value.withLock({ $0 }) else { return }
            let expected = me.state.withLock { s in
                s.exit = exit
                return s.expected
            }
            onExit(exit, expected)
        }
        try process.run()
        try? output.close()
        let me = QEMUProcess(
            pid: process.processIdentifier, adopted: false, startedAt: Date(), holder: ProcessHolder(process))
        box.value.withLock { $0 = me }
        // The process may have ended before the box was filled.
        if !process.isRunning {
            let exit =
                process.terminationReason == .uncaughtSignal
                ? Exit(code: nil, signal: process.terminationStatus) : Exit(code: process.terminationStatus, signal: nil)
            me.state.withLock { if $0.exit == nil { $0.exit = exit } }
        }
        return me
    }

    /// A QEMU found running after a restart.
    static func adopt(pid: Int32) -> QEMUProcess {
        QEMUProcess(pid: pid, adopted: true, startedAt: Date(), holder: nil)
    }

    /// The process object of a launched QEMU, set once the launch returned.
    private final class Box: Sendable {
        let value = Mutex<QEMUProcess?>(nil)
    }

    /// Holds a `Process` only to keep it alive: it is never used after the launch, so sharing it across
    /// threads cannot race.
    private final class ProcessHolder: @unchecked Sendable {
        let process: Process
        init(_ process: Process) { self.process = process }
    }

    /// How it ended, or nil while it runs.
    var exit: Exit? {
        if let exit = state.withLock({ $0.exit }) { return exit }
        guard adopted else { return nil }
        if Self.isAlive(pid) { return nil }
        let exit = Exit(code: nil, signal: nil)
        state.withLock { if $0.exit == nil { $0.exit = exit } }
        return exit
    }

    var isRunning: Bool { exit == nil }

    /// Marks the coming end as Flotilla's doing.
    func expectExit() { state.withLock { $0.expected = true } }

    var exitWasExpected: Bool { state.withLock { $0.expected } }

    func kill(_ signal: Int32 = SIGKILL) { _ = Glibc.kill(pid, signal) }

    /// Waits until the process has ended, at most `timeout`; true when it has.
    func waitForExit(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while isRunning {
            if ContinuousClock.now >= deadline { return false }
            do { try await Task.sleep(for: .milliseconds(20)) } catch { return !isRunning }
        }
        return true
    }

    /// Whether a process with this pid exists and is not a zombie.
    static func isAlive(_ pid: Int32) -> Bool {
        guard pid > 0, Glibc.kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return true }
        let rest = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces)
        return !rest.hasPrefix("Z") && !rest.hasPrefix("X")
    }

    /// The command line of a live process, its arguments split.
    static func commandLine(_ pid: Int32) -> [String] {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return [] }
        return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }
}
