import FlotillaBackends
import Foundation

/// A dockerd of one test's own, which the test may stop and start again: the ``DockerFixture`` daemon is shared
/// by every test of the process and cannot be restarted. Same flags as the fixture's (vfs, no iptables, no
/// default bridge), its data kept across restarts under one folder in /tmp; the test image is copied from the
/// fixture's daemon. ``with(_:)`` stops it and removes the folder, whatever the body did. A shell guard stops
/// it too if the test process dies first.
public actor DockerRestartableDaemon {
    public let directory: String
    public nonisolated var socketPath: String { "\(directory)/docker.sock" }

    private init(directory: String) { self.directory = directory }

    public static func with<T: Sendable>(_ body: (DockerRestartableDaemon) async throws -> T) async throws -> T {
        let shared = try await DockerFixture.shared.daemon()
        let daemon = DockerRestartableDaemon(directory: "/tmp/flt-dr-\(UUID().uuidString.prefix(8).lowercased())")
        do {
            try await daemon.start()
            try await daemon.copyImage(from: shared)
            let result = try await body(daemon)
            await daemon.remove()
            return result
        } catch {
            await daemon.remove()
            throw error
        }
    }

    /// Starts dockerd on the folder (again, after ``stop()``) and waits until it answers (at most 60 s).
    public func start() async throws {
        guard getuid() == 0 else { throw DockerFixtureError("starting a dockerd needs root") }
        guard let dockerd = GuardedDockerd.binary else { throw DockerFixtureError("dockerd is not installed") }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let dir = directory
        // Its folder goes only with the test process: a stop() keeps it for the next start().
        try GuardedDockerd.launch(dockerd, dir: dir, socket: socketPath, cleanup: "kill -0 \(getpid()) 2>/dev/null || rm -rf \(dir)")
        let backend = DockerBackend(configuration: .init(socketPath: socketPath))
        do {
            try await eventually("dockerd answers on \(socketPath)", timeout: .seconds(60), every: .milliseconds(200)) {
                await backend.ping(timeout: .seconds(2))
            }
        } catch {
            let log = (try? String(contentsOfFile: "\(dir)/dockerd.log", encoding: .utf8)) ?? ""
            throw DockerFixtureError("\(error); dockerd log tail: \(log.suffix(800))")
        }
    }

    /// Stops dockerd as a host shutdown would (SIGTERM: it stops its containers and ends its streams) and waits
    /// until its process is gone (at most 60 s).
    public func stop() async throws {
        guard let pid = daemonPid() else { return }
        kill(pid, SIGTERM)
        try await eventually("dockerd \(pid) exits", timeout: .seconds(60), every: .milliseconds(100)) { !Self.isAlive(pid) }
    }

    private func remove() async {
        try? await stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// `docker save` of the fixture's test image piped into this daemon's `docker load`.
    private func copyImage(from shared: DockerDaemon) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [
            "-c",
            "docker -H unix://\(shared.socketPath) save \(DockerFixture.image) | docker -H unix://\(socketPath) load",
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw DockerFixtureError("copying the test image failed: \(text)") }
    }

    private func daemonPid() -> pid_t? {
        guard let text = try? String(contentsOfFile: "\(directory)/dockerd.pid", encoding: .utf8),
            let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), Self.isAlive(pid)
        else { return nil }
        return pid
    }

    /// Running, and not a zombie waiting for its parent (the guard shell) to reap it.
    private static func isAlive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first != "Z"
    }
}
