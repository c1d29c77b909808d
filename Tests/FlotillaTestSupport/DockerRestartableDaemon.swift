import FlotillaBackends
import Foundation

/// A dockerd of one test's own, which the test may stop and start again: the ``DockerFixture`` daemon is shared
/// by every test of the process and cannot be restarted. Same flags as the fixture's (vfs, no iptables, no
/// default bridge), its data kept across restarts under one folder in /tmp; the test image is copied from the
/// fixture's daemon. ``with(_:)`` stops it and removes the folder, whatever the body did. A shell guard stops
/// it too if the test process dies first.
///
/// With `inNetworkNamespace`, dockerd runs in a network namespace of the test's own (``namespace``,
/// `fltest-dk-<pid>-<random>`, only loopback in it), entered with `nsenter --net` (`ip netns exec` would mount a
/// fresh /sys without the cgroup mounts dockerd needs): the bridges of its networks are made there, never in the
/// machine's own namespace. The namespace goes with the folder.
public actor DockerRestartableDaemon {
    public let directory: String
    /// The network namespace dockerd runs in, when asked for.
    public nonisolated let namespace: String?
    public nonisolated var socketPath: String { "\(directory)/docker.sock" }
    /// The daemon's `docker` CLI helpers.
    public nonisolated var cli: DockerDaemon { DockerDaemon(socketPath: socketPath, bridgeName: nil) }

    private init(directory: String, namespace: String? = nil) {
        self.directory = directory
        self.namespace = namespace
    }

    public static func with<T: Sendable>(
        inNetworkNamespace: Bool = false, _ body: (DockerRestartableDaemon) async throws -> T
    ) async throws -> T {
        let shared = try await DockerFixture.shared.daemon()
        let tag = UUID().uuidString.prefix(8).lowercased()
        let daemon = DockerRestartableDaemon(
            directory: "/tmp/flt-dr-\(tag)", namespace: inNetworkNamespace ? "fltest-dk-\(getpid())-\(tag)" : nil)
        do {
            try await daemon.makeNamespace()
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
        let (command, dropNamespace) =
            namespace.map { ("/usr/bin/nsenter --net=/run/netns/\($0) \(dockerd)", "; ip netns delete \($0)") } ?? (dockerd, "")
        // Its folder goes only with the test process: a stop() keeps it for the next start().
        try GuardedDockerd.launch(
            command, dir: dir, socket: socketPath, cleanup: "kill -0 \(getpid()) 2>/dev/null || { rm -rf \(dir)\(dropNamespace); }")
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
        if let namespace { _ = try? await Self.run(["/usr/sbin/ip", "netns", "delete", namespace]) }
    }

    /// Creates ``namespace`` with loopback up, when asked for.
    private func makeNamespace() async throws {
        guard let namespace else { return }
        try await Self.run(["/usr/sbin/ip", "netns", "add", namespace])
        try await Self.run(["/usr/sbin/ip", "-n", namespace, "link", "set", "lo", "up"])
    }

    /// Runs `ip -n <namespace> <arguments>` (10 s deadline) and returns its standard output.
    public func ip(_ arguments: [String]) async throws -> String {
        guard let namespace else { throw DockerFixtureError("this daemon runs in the machine's own namespace") }
        return try await Self.run(["/usr/sbin/ip", "-n", namespace] + arguments)
    }

    @discardableResult
    private static func run(_ arguments: [String]) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        let run = try await ProcessRun.capture(process, timeout: .seconds(10))
        guard run.status == 0, !run.timedOut else {
            throw DockerFixtureError("\(arguments.joined(separator: " ")) failed: \(run.err)")
        }
        return run.out
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
