import Foundation

/// Runs a short helper program (`qemu-img`, `genisoimage`, `qemu-system-x86_64 --version`) with a deadline,
/// started as a ``ChildProcess`` (a clean signal mask, default signal dispositions).
enum Subprocess {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The most output kept (the end of it).
    static let outputLimit = 1 << 20

    /// Runs `executable` and returns its standard output and error; throws when it fails or outlives
    /// `timeout` (it is then killed), or when the task is cancelled.
    static func run(_ executable: String, _ arguments: [String], timeout: Duration = .seconds(30)) async throws -> String {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-sub-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(executable: executable, arguments: arguments, outputPath: outputPath, newSession: false)
        } catch {
            throw Failure(description: "\(error)")
        }
        guard let status = await child.waitForExit(timeout: timeout) else {
            child.kill(SIGKILL)
            _ = await child.waitForExit(timeout: .seconds(10))
            if Task.isCancelled { throw CancellationError() }
            throw Failure(description: "\(executable) did not finish within \(timeout)")
        }
        let text = QEMUBackend.tail(of: outputPath, bytes: outputLimit)
        guard status == .exited(0) else {
            let name = (executable as NSString).lastPathComponent
            let how: String
            switch status {
            case .exited(let code): how = "status \(code)"
            case .signaled(let signal): how = "signal \(signal)"
            case .unknown: how = "status unknown"
            }
            throw Failure(description: "\(name) failed (\(how)): \(text.trimmingCharacters(in: .whitespacesAndNewlines).prefix(500))")
        }
        return text
    }

    /// The full path of `name` on PATH, if any.
    static func which(_ name: String) -> String? {
        if name.hasPrefix("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
