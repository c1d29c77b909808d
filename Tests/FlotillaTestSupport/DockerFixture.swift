import FlotillaBackends
import FlotillaCore
import Foundation
import Testing

/// A Docker daemon for tests, found or started once per test process, with the local busybox image
/// (``image``) and, on demand, a bridge network for port tests (``network``, made by
/// ``DockerDaemon/ensureNetwork()``).
///
/// - When `/var/run/docker.sock` (or `FLOTILLA_DOCKER_SOCKET`) answers `_ping`, that daemon is used.
/// - Otherwise `dockerd --storage-driver=vfs --iptables=false --bridge=none` is started with its own data root,
///   exec root, pid file and socket under a temporary folder. A small shell guard stops it (and removes the
///   folder) as soon as the test process ends, however it ends.
/// - The image is built once if missing: a rootfs with `/bin/busybox` (Debian's `busybox-static`) and its
///   applet links, imported with `docker import`.
///
/// Tests reach it through the ``Trait/docker`` condition: without a daemon they are skipped (shown as
/// skipped, never as passed), unless `FLOTILLA_REQUIRE_REAL=1`, which makes them run and fail.
public actor DockerFixture {
    public static let shared = DockerFixture()

    /// The local test image (no registry is reachable here).
    public static let image = "flotilla-test/busybox:1"
    /// A user-defined bridge network, for containers that publish ports.
    public static let network = "flotilla-test-net"

    /// True when `FLOTILLA_REQUIRE_REAL=1`: tests needing docker must fail instead of skipping.
    public static var required: Bool { ProcessInfo.processInfo.environment["FLOTILLA_REQUIRE_REAL"] == "1" }

    /// The one preparation, shared by every caller (the actor is re-entered while it runs).
    private var preparation: Task<Result<DockerDaemon, DockerFixtureError>, Never>?

    /// The daemon, started and prepared on first use; the same failure on every later call.
    public func daemon() async throws -> DockerDaemon {
        let task: Task<Result<DockerDaemon, DockerFixtureError>, Never>
        if let preparation {
            task = preparation
        } else {
            task = Task { await Self.prepare() }
            preparation = task
        }
        return try await task.value.get()
    }

    /// Whether docker tests should run: always when required (they then fail without docker), else only when a
    /// daemon can be had.
    public func shouldRun() async -> Bool {
        if Self.required { return true }
        return (try? await daemon()) != nil
    }

    private static func prepare() async -> Result<DockerDaemon, DockerFixtureError> {
        do {
            let existing = HostConfigurationDefaults.dockerSocket
            var daemon = DockerDaemon(socketPath: existing, bridgeName: nil)
            if !(await answers(existing)) {
                daemon = try await startDaemon()
            }
            try daemon.ensureImage()
            return .success(daemon)
        } catch let error as DockerFixtureError {
            return .failure(error)
        } catch {
            return .failure(DockerFixtureError("\(error)"))
        }
    }

    static func answers(_ socket: String) async -> Bool {
        guard FileManager.default.fileExists(atPath: socket) else { return false }
        return await DockerBackend(configuration: .init(socketPath: socket)).ping(timeout: .seconds(2))
    }

    private static func startDaemon() async throws -> DockerDaemon {
        guard getuid() == 0 else { throw DockerFixtureError("no docker daemon answers and starting one needs root") }
        guard let dockerd = GuardedDockerd.binary else {
            throw DockerFixtureError("no docker daemon answers and dockerd is not installed (apt-get install -y docker.io)")
        }
        let dir = "/tmp/flotilla-dockerd-\(UUID().uuidString.prefix(8).lowercased())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let socket = "\(dir)/docker.sock"
        let bridge = "flt-" + String(dir.suffix(8))
        // The guard stops dockerd when this test process is gone, and deletes the test network's bridge, which the
        // kernel would otherwise keep (and with it one of docker's address pools).
        let process = try GuardedDockerd.launch(
            dockerd, dir: dir, socket: socket, cleanup: "ip link delete \(bridge) 2>/dev/null\nrm -rf \(dir)")
        do {
            try await eventually("dockerd answers on \(socket)", timeout: .seconds(60), every: .milliseconds(200)) {
                if await Self.answers(socket) { return true }
                guard process.isRunning else { throw ProcessFailure("dockerd exited") }
                return false
            }
            return DockerDaemon(socketPath: socket, bridgeName: bridge)
        } catch {
            let log = (try? String(contentsOfFile: "\(dir)/dockerd.log", encoding: .utf8)) ?? ""
            throw DockerFixtureError("dockerd did not answer on \(socket) (\(error)); log tail: \(log.suffix(800))")
        }
    }
}

/// Why docker could not be had for the tests.
public struct DockerFixtureError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Where the host looks for docker by default (kept in step with `HostConfiguration.defaultDockerSocket`).
enum HostConfigurationDefaults {
    static var dockerSocket: String {
        let env = ProcessInfo.processInfo.environment["FLOTILLA_DOCKER_SOCKET"] ?? ""
        return env.isEmpty ? "/var/run/docker.sock" : env
    }
}

/// A running daemon the tests may use, with the `docker` CLI to check what Flotilla did.
public struct DockerDaemon: Sendable {
    public let socketPath: String
    /// The bridge the test network gets on a daemon this fixture started: unique per daemon, so that the guard
    /// removing it never touches another's (Linux allows 15 characters). Nil on a daemon found running.
    let bridgeName: String?

    /// A backend on this daemon, with a short pull deadline (no registry is reachable here).
    public func backend(pullTimeout: Duration = .seconds(5)) -> DockerBackend {
        DockerBackend(configuration: .init(socketPath: socketPath, pullTimeout: pullTimeout))
    }

    /// Runs `docker -H unix://<socket> <arguments>`; returns its exit status and standard output.
    @discardableResult
    public func cli(_ arguments: [String], input: Data? = nil) throws -> (status: Int32, output: String) {
        guard let docker = ["/usr/bin/docker", "/usr/local/bin/docker"].first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else { throw DockerFixtureError("the docker CLI is not installed (apt-get install -y docker.io)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: docker)
        process.arguments = ["-H", "unix://\(socketPath)"] + arguments
        let out = Pipe()
        let inPipe = Pipe()
        process.standardOutput = out
        process.standardError = out
        process.standardInput = input == nil ? FileHandle.nullDevice : inPipe
        try process.run()
        if let input {
            try inPipe.fileHandleForWriting.write(contentsOf: input)
            try inPipe.fileHandleForWriting.close()
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// `docker inspect <container>` parsed, or nil when there is no such container.
    public func inspect(_ container: String) throws -> [String: Any]? {
        let (status, output) = try cli(["inspect", "--type", "container", container])
        guard status == 0 else { return nil }
        let array = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]]
        return array?.first
    }

    /// The ids of every container (any state) carrying `label` (`key` or `key=value`).
    public func containers(label: String) throws -> [String] {
        let (status, output) = try cli(["ps", "-a", "-q", "--no-trunc", "--filter", "label=\(label)"])
        guard status == 0 else { throw DockerFixtureError("docker ps failed: \(output)") }
        return output.split(whereSeparator: \.isNewline).map(String.init)
    }

    func ensureImage() throws {
        if try cli(["image", "inspect", DockerFixture.image]).status == 0 { return }
        let busybox = "/bin/busybox"
        guard FileManager.default.isExecutableFile(atPath: busybox) else {
            throw DockerFixtureError("\(busybox) is missing (apt-get install -y busybox-static)")
        }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-rootfs-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fm = FileManager.default
        for dir in ["bin", "tmp", "data", "etc"] { try fm.createDirectory(atPath: "\(root)/\(dir)", withIntermediateDirectories: true) }
        try fm.copyItem(atPath: busybox, toPath: "\(root)/bin/busybox")
        for applet in ["sh", "sleep", "cat", "echo", "ls", "true", "false", "httpd", "nc", "wget", "env", "mkdir", "test", "kill"] {
            try fm.createSymbolicLink(atPath: "\(root)/bin/\(applet)", withDestinationPath: "busybox")
        }
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/bin/tar")
        tar.arguments = ["-C", root, "-c", "."]
        let pipe = Pipe()
        tar.standardOutput = pipe
        try tar.run()
        let archive = pipe.fileHandleForReading.readDataToEndOfFile()
        tar.waitUntilExit()
        guard tar.terminationStatus == 0 else { throw DockerFixtureError("tar of the busybox rootfs failed") }
        let (status, output) = try cli(["import", "-", DockerFixture.image], input: archive)
        guard status == 0 else { throw DockerFixtureError("docker import of \(DockerFixture.image) failed: \(output)") }
    }

    /// Creates ``DockerFixture/network`` when missing, for the tests that publish ports (the others use
    /// `--network none`). When docker's default address pools are all taken on this machine, a few private
    /// subnets outside them are tried in turn.
    public func ensureNetwork() throws {
        if try cli(["network", "inspect", DockerFixture.network]).status == 0 { return }
        let bridge = bridgeName.map { ["-o", "com.docker.network.bridge.name=\($0)"] } ?? []
        var failures: [String] = []
        for subnet in [nil, "10.213.7.0/24", "10.229.41.0/24", "100.95.3.0/24", "198.18.77.0/24"] {
            let options = subnet.map { ["--subnet", $0] } ?? []
            let (status, output) = try cli(["network", "create"] + bridge + options + [DockerFixture.network])
            // Another test process may have made it meanwhile.
            if status == 0 || output.contains("already exists") { return }
            failures.append("\(subnet ?? "default pools"): \(output.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        throw DockerFixtureError("docker network create \(DockerFixture.network) failed: \(failures.joined(separator: "; "))")
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test when a docker daemon can be had (found or started), or always when
    /// `FLOTILLA_REQUIRE_REAL=1` (the test then fails without one). Otherwise the test is skipped, visibly.
    public static var docker: Self {
        .enabled("needs a docker daemon (found or started by DockerFixture); FLOTILLA_REQUIRE_REAL=1 turns a skip into a failure") {
            await DockerFixture.shared.shouldRun()
        }
    }
}
