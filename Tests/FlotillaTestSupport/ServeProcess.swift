import Foundation

/// A real `flotilla serve` process on loopback, for tests that need the binary: SIGKILL, SIGTERM, the CLI.
/// Build first (`swift build`); the binary is `.build/debug/flotilla` or `FLOTILLA_BIN`.
public final class ServeProcess: Sendable {
    public let url: String
    public let apiKey: String
    public let dataDir: String
    private let process: Process
    private let output: LockedBox<String>

    public static var binary: String {
        if let bin = ProcessInfo.processInfo.environment["FLOTILLA_BIN"] { return bin }
        return packageRoot + "/.build/debug/flotilla"
    }

    public static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// Starts a host on a free port and waits until it listens.
    ///
    /// - Parameters:
    ///   - backends: the `--backends` list, e.g. `sim,docker`.
    ///   - environment: variables set for the serve process on top of this process's (e.g. `FLOTILLA_DOCKER_SOCKET`).
    ///   - openFileLimit: when set, the process runs under `prlimit --nofile=N:N` (soft and hard open-file limit N).
    ///   - wrapper: a command that runs the server and then execs it, keeping its process id (e.g.
    ///     `["ip", "netns", "exec", NAME]`); its first word is looked up in `/usr/sbin`, `/usr/bin`, `/sbin`, `/bin`.
    ///   - output: when given, standard output AND standard error are appended to it (a box shared across
    ///     restarts keeps a host's whole log), and the start looks for the listening line only in what the
    ///     new process printed. Without it, standard error goes to this process's and ``stdout`` holds standard
    ///     output.
    public static func start(
        dataDir: String, apiKey: String = "flt_process_test_key_0123456789", extra: [String] = [],
        backends: String = "sim", environment: [String: String] = [:], openFileLimit: Int? = nil,
        wrapper: [String] = [], output shared: LockedBox<String>? = nil
    ) async throws -> ServeProcess {
        let process = try serveProcess(
            dataDir: dataDir, apiKey: apiKey, extra: extra, backends: backends, environment: environment, openFileLimit: openFileLimit,
            wrapper: wrapper)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = shared == nil ? FileHandle.standardError : pipe
        let output = shared ?? LockedBox("")
        let startOffset = output.withLock { $0.utf8.count }
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil; return }
            output.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
        do {
            let url = try await eventuallyValue("flotilla serve starts listening", timeout: .seconds(60)) { () throws -> String? in
                let text = output.withLock { String(decoding: $0.utf8.dropFirst(startOffset), as: UTF8.self) }
                if let range = text.range(of: #"listening on (https?://[0-9.]+:[0-9]+)"#, options: .regularExpression) {
                    return String(text[range].dropFirst("listening on ".count))
                }
                if !process.isRunning { throw ProcessFailure("flotilla serve exited with \(process.terminationStatus): \(text)") }
                return nil
            }
            return ServeProcess(url: url, apiKey: apiKey, dataDir: dataDir, process: process, output: output)
        } catch {
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
            throw error
        }
    }

    /// Runs `flotilla serve` as ``start(dataDir:apiKey:extra:backends:environment:)`` would, for a start that
    /// must fail: waits (up to `timeout`) until it exits and returns its status, standard output and standard
    /// error. A process still running after `timeout` is killed, and that is a failure.
    public static func runUntilExit(
        dataDir: String, apiKey: String = "flt_process_test_key_0123456789", extra: [String] = [], backends: String = "sim",
        environment: [String: String] = [:], timeout: Duration = .seconds(60)
    ) async throws -> (status: Int32, out: String, err: String) {
        let process = try serveProcess(dataDir: dataDir, apiKey: apiKey, extra: extra, backends: backends, environment: environment)
        let run = try await ProcessRun.capture(process, timeout: timeout)
        if run.timedOut { throw ProcessFailure("flotilla serve did not exit within \(timeout): \(run.out)\(run.err)") }
        return (run.status, run.out, run.err)
    }

    /// A `flotilla serve` process, not started, with the arguments and environment every test host uses.
    private static func serveProcess(
        dataDir: String, apiKey: String, extra: [String], backends: String, environment: [String: String],
        openFileLimit: Int? = nil, wrapper: [String] = []
    ) throws -> Process {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw ProcessFailure("no flotilla binary at \(binary): run `swift build` first (the test command does)")
        }
        let process = Process()
        // prlimit (and a wrapper such as `ip netns exec`) set things up and then exec flotilla: the process id
        // stays the server's.
        let limited = openFileLimit.map { ["/usr/bin/prlimit", "--nofile=\($0):\($0)"] } ?? []
        let command = wrapper.enumerated().map { $0.offset == 0 ? executablePath($0.element) : $0.element } + limited + [binary]
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments =
            Array(command.dropFirst()) + [
                "serve", "--listen", "127.0.0.1:0", "--grpc-listen", "127.0.0.1:0", "--data-dir", dataDir, "--api-key", apiKey, "--host-id",
                "proc-host",
                "--backends", backends, "--cpus", "64", "--memory-mb", "65536", "--log-level", "warning",
            ] + extra
        var env = ProcessInfo.processInfo.environment
        env["FLOTILLA_API_KEY"] = nil
        env.merge(environment) { _, given in given }
        process.environment = env
        return process
    }

    /// `name` if it is a path, else the first of the usual system folders that holds it.
    private static func executablePath(_ name: String) -> String {
        if name.contains("/") { return name }
        let folders = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        return folders.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) } ?? name
    }

    private init(url: String, apiKey: String, dataDir: String, process: Process, output: LockedBox<String>) {
        self.url = url
        self.apiKey = apiKey
        self.dataDir = dataDir
        self.process = process
        self.output = output
    }

    public var stdout: String { output.withLock { $0 } }
    public var isRunning: Bool { process.isRunning }
    public var pid: Int32 { process.processIdentifier }

    /// Sends `signal` and waits (up to `timeout`) for the process to exit; returns its status, or nil.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(20)) async -> Int32? {
        if process.isRunning { kill(process.processIdentifier, signal) }
        await process.exits(within: timeout, every: .milliseconds(20))
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }

    /// Runs the `flotilla` CLI against this host; returns exit status, stdout and stderr.
    public func cli(_ arguments: [String], timeout: Duration = .seconds(120)) async throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary)
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["FLOTILLA_URL"] = url
        env["FLOTILLA_API_KEY"] = apiKey
        p.environment = env
        let run = try await ProcessRun.capture(p, timeout: timeout)
        if run.timedOut {
            throw ProcessFailure("flotilla \(arguments.joined(separator: " ")) did not exit within \(timeout): \(run.out)\(run.err)")
        }
        return (run.status, run.out, run.err)
    }
}

public struct ProcessFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A temporary folder removed when the body ends.
public func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    return try await body(dir)
}
