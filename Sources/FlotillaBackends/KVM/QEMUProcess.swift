import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One running `qemu-system-x86_64`: either launched here (a ``ChildProcess``: its exit status is known
/// exactly) or adopted after a restart (not a child: its end is seen by its pid disappearing, and the exit
/// status is unknown).
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
            case SIGINT: return " (SIGINT)"
            case SIGHUP: return " (SIGHUP)"
            case SIGQUIT: return " (SIGQUIT)"
            case SIGSEGV: return " (SIGSEGV)"
            case SIGABRT: return " (SIGABRT)"
            default: return ""
            }
        }
        var exitCode: Int32? { signal.map { 128 + $0 } ?? code }

        init(code: Int32?, signal: Int32?) {
            self.code = code
            self.signal = signal
        }

        init(_ status: ChildProcess.Status) {
            switch status {
            case .exited(let code): self.init(code: code, signal: nil)
            case .signaled(let signal): self.init(code: nil, signal: signal)
            case .unknown: self.init(code: nil, signal: nil)
            }
        }
    }

    let pid: Int32
    let adopted: Bool
    let startedAt: Date
    /// Where this run's output starts in QEMU's log file (the file is appended to across runs).
    let outputOffset: UInt64
    private let state: StateBox
    /// The spawned child; nil for an adopted process.
    private let child: ChildProcess?

    private struct State {
        var exit: Exit?
        /// Set before Flotilla ends the process itself, so that its end is not an unexpected death.
        var expected = false
    }

    /// The state, shared with the reaper's exit callback before the process object exists.
    private final class StateBox: Sendable {
        let value = Mutex(State())
    }

    private init(pid: Int32, adopted: Bool, outputOffset: UInt64, state: StateBox, child: ChildProcess?) {
        self.pid = pid
        self.adopted = adopted
        self.startedAt = Date()
        self.outputOffset = outputOffset
        self.state = state
        self.child = child
    }

    /// Starts QEMU (see ``ChildProcess``: a clean signal mask, its own session) with stdin from /dev/null and
    /// stdout/stderr appended to `outputPath`. `onExit` is called once when it ends, on the reaper thread,
    /// after ``exit`` is set, with whether Flotilla expected it. `descriptors` are QEMU's 3, 4, ... (see
    /// ``ChildProcess``).
    static func launch(
        executable: String, arguments: [String], outputPath: String, descriptors: [Int32] = [],
        onExit: @escaping @Sendable (_ exit: Exit, _ expected: Bool) -> Void
    ) throws -> QEMUProcess {
        let offset = Self.size(of: outputPath)
        let box = StateBox()
        let child = try ChildProcess.spawn(
            executable: executable, arguments: arguments, outputPath: outputPath, newSession: true,
            inheritedDescriptors: descriptors
        ) { status in
            let exit = Exit(status)
            let expected = box.value.withLock { s in
                s.exit = exit
                return s.expected
            }
            onExit(exit, expected)
        }
        return QEMUProcess(pid: child.pid, adopted: false, outputOffset: offset, state: box, child: child)
    }

    /// A QEMU found running after a restart; `outputPath` is its log file, where its output goes on.
    static func adopt(pid: Int32, outputPath: String) -> QEMUProcess {
        QEMUProcess(pid: pid, adopted: true, outputOffset: size(of: outputPath), state: StateBox(), child: nil)
    }

    private static func size(of path: String) -> UInt64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.uint64Value ?? 0
    }

    /// How it ended, or nil while it runs.
    var exit: Exit? {
        if let exit = state.value.withLock({ $0.exit }) { return exit }
        guard adopted else { return nil }
        if Self.isAlive(pid) { return nil }
        return state.value.withLock { s in
            if s.exit == nil { s.exit = Exit(code: nil, signal: nil) }
            return s.exit
        }
    }

    var isRunning: Bool { exit == nil }

    /// Marks the coming end as Flotilla's doing.
    func expectExit() { state.value.withLock { $0.expected = true } }

    var exitWasExpected: Bool { state.value.withLock { $0.expected } }

    /// Sends `signal` (never to a reaped child's pid; an adopted process is signalled while it looks alive).
    func kill(_ signal: Int32 = SIGKILL) {
        if let child {
            child.kill(signal)
        } else if Self.isAlive(pid) {
            _ = Glibc.kill(pid, signal)
        }
    }

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
