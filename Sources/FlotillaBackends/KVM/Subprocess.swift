import Foundation

/// Runs a short helper program (`qemu-img`, `genisoimage`, `qemu-system-x86_64 --version`) with a deadline.
enum Subprocess {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs `executable` and returns its standard output; throws when it fails or outlives `timeout`
    /// (it is then killed).
    static func run(_ executable: String, _ arguments: [String], timeout: Duration = .seconds(30)) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        let outputURL = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-sub-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outputURL) }
        let output = try FileHandle(forWritingTo: outputURL)
        process.standardOutput = output
        process.standardError = output
        do {
            try process.run()
        } catch {
            try? output.close()
            throw Failure(description: "cannot run \(executable): \(error)")
        }
        try? output.close()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now >= deadline || Task.isCancelled {
                process.terminate()
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                throw Failure(description: "\(executable) did not finish within \(timeout)")
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        let text = (try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let name = (executable as NSString).lastPathComponent
            throw Failure(
                description:
                    "\(name) failed (status \(process.terminationStatus)): \(text.trimmingCharacters(in: .whitespacesAndNewlines).prefix(500))"
            )
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
