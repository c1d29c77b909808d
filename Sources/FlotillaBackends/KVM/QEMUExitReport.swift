import FlotillaCore
import Foundation

/// What the backend reports for a QEMU run that ended without Flotilla asking. Pure: it reads nothing, so
/// every case is table-tested. See docs/decisions/0003-kvm-backend.md.
///
/// - a guest poweroff (exit 0, nothing else said) is `stopped`;
/// - everything else is `error` with the reason: a kill by a signal QEMU cannot handle (SIGKILL), a
///   termination signal QEMU handled and announced on stderr ("terminating on signal 15 from pid N (name)",
///   after which it exits with 0), a guest kernel panic (`panic=-1` with `-no-reboot` also exits with 0), a
///   non-zero exit with QEMU's last words, or an adopted QEMU whose exit status is unknown. A signal's
///   `exitCode` is 128 + the signal, as a shell reports it, also when QEMU itself exited with 0.
enum QEMUExitReport {
    /// The observation of instance `id` after `exit`. `output` is what this QEMU run wrote to its log
    /// (stdout and stderr); `consoleTail` the end of the guest's serial console.
    static func observed(id: String, exit: QEMUProcess.Exit, output: String, consoleTail: String) -> ObservedInstance {
        if let signal = exit.signal {
            return ObservedInstance(
                id: id, state: .error, description: "\(exit.description), not sent by Flotilla", exitCode: 128 + signal)
        }
        if let announced = terminationSignal(in: output) {
            var description = "QEMU ended by signal \(announced.signal)\(QEMUProcess.Exit.signalName(announced.signal))"
            description += " sent from outside Flotilla"
            if let pid = announced.pid {
                description += " (pid \(pid)\(announced.sender.map { ", \($0)" } ?? ""))"
            }
            return ObservedInstance(id: id, state: .error, description: description, exitCode: 128 + announced.signal)
        }
        guard let code = exit.code else {
            return ObservedInstance(id: id, state: .error, description: exit.description)
        }
        if code == 0 {
            if consoleTail.contains("Kernel panic") {
                return ObservedInstance(
                    id: id, state: .error, description: "the guest kernel panicked (QEMU exited with code 0; see the console)",
                    exitCode: 0)
            }
            return ObservedInstance(
                id: id, state: .stopped, description: "the guest powered off (QEMU exited with code 0)", exitCode: 0)
        }
        var description = exit.description
        if let last = lastLine(of: output) { description += ": \(last)" }
        return ObservedInstance(id: id, state: .error, description: description, exitCode: code)
    }

    /// A termination signal QEMU announced before exiting: `qemu-system-x86_64: terminating on signal 15
    /// from pid 1234 (bash)`, the last such line of `output`.
    static func terminationSignal(in output: String) -> (signal: Int32, pid: Int32?, sender: String?)? {
        guard let range = output.range(of: "terminating on signal ", options: .backwards) else { return nil }
        let line = output[range.upperBound...].prefix { $0 != "\n" && $0 != "\r" }
        let words = line.split(separator: " ", maxSplits: 3)
        guard let first = words.first, let signal = Int32(first) else { return nil }
        guard words.count >= 3, words[1] == "from", words[2] == "pid" else { return (signal, nil, nil) }
        let rest = words.count > 3 ? words[3] : ""
        let pid = Int32(rest.prefix { $0.isNumber })
        var sender: String?
        if let open = rest.firstIndex(of: "("), let close = rest.lastIndex(of: ")"), open < close {
            sender = String(rest[rest.index(after: open)..<close])
        }
        return (signal, pid, sender)
    }

    /// The last non-empty line of `output`, at most 200 characters.
    static func lastLine(of output: String) -> String? {
        let line = output.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).last {
            !$0.trimmingCharacters(in: .whitespaces).isEmpty
        }
        return line.map { String($0.trimmingCharacters(in: .whitespaces).prefix(200)) }
    }
}
