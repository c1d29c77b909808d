import FlotillaAPI
import FlotillaTestSupport
import Foundation
import Testing

/// `flotilla instance ...` on the docker backend of a real `flotilla serve` process, each step checked in the
/// daemon itself. Skipped without a docker daemon, unless `FLOTILLA_REQUIRE_REAL=1` (then it fails).
@Suite("flotilla instance on docker as processes", .serialized, .docker)
struct DockerCommandProcessTests {
    /// A shell that ends at once on SIGTERM, so stop and restart do not wait for the kill timeout
    /// (a bare `sleep` as PID 1 ignores SIGTERM).
    static let command = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]

    /// The daemon's view of instance `id`'s container: (Status, Paused), or nil when there is no container.
    static func daemonState(_ docker: DockerDaemon, _ id: String) throws -> (status: String, paused: Bool)? {
        guard let container = try docker.inspect("flotilla-\(id)"), let state = container["State"] as? [String: Any] else {
            return nil
        }
        return (state["Status"] as? String ?? "", state["Paused"] as? Bool ?? false)
    }

    @Test("create, stop, start, pause, unpause, restart, delete through the CLI: each step seen in the daemon")
    func lifecycle() async throws {
        let docker = try await DockerFixture.shared.daemon()
        try await FixtureStack.with { stack in
            let host = try await stack.serve(
                dataDir: try await stack.temporaryDirectory("docker-cli"), backends: "sim,docker",
                environment: ["FLOTILLA_DOCKER_SOCKET": docker.socketPath])

            let created = try await host.cli(
                ["instance", "create", "web", "--backend", "docker", "--image", DockerFixture.image]
                    + Self.command.flatMap { ["--command", $0] }
                    + ["--cpus", "0.5", "--memory", "64MiB", "--label", "suite=cli-docker", "--output", "json"])
            #expect(created.status == 0, "\(created.err)")
            let instance = try WireJSON.decoder().decode(Compute.Instance.self, from: Data(created.out.utf8))
            defer {
                for container in (try? docker.containers(label: "io.flotilla.instance=\(instance.id)")) ?? [] {
                    _ = try? docker.cli(["rm", "-f", container])
                }
            }
            #expect(instance.state == "running")
            #expect(instance.config.command == Self.command)
            let first = try #require(try Self.daemonState(docker, instance.id), "no container after create")
            #expect(first.status == "running")
            let config = try docker.inspect("flotilla-\(instance.id)")?["Config"] as? [String: Any]
            #expect(config?["Image"] as? String == DockerFixture.image)
            #expect((config?["Cmd"] as? [String]) == Self.command)

            let steps: [(String, String, String, Bool)] = [
                ("stop", "stopped", "exited", false),
                ("start", "running", "running", false),
                ("pause", "paused", "paused", true),
                ("unpause", "running", "running", false),
                ("restart", "running", "running", false),
            ]
            for (verb, state, daemonStatus, paused) in steps {
                let r = try await host.cli(["instance", verb, "web", "--output", "json"])
                #expect(r.status == 0, "\(verb): \(r.err)")
                let after = try WireJSON.decoder().decode(Compute.Instance.self, from: Data(r.out.utf8))
                #expect(after.state == state, "\(verb)")
                let seen = try #require(try Self.daemonState(docker, instance.id), "no container after \(verb)")
                #expect(seen.status == daemonStatus, "daemon after \(verb)")
                #expect(seen.paused == paused, "daemon paused after \(verb)")
            }

            let deleted = try await host.cli(["instance", "delete", "web"])
            #expect(deleted.status == 0, "\(deleted.err)")
            let remains = try Self.daemonState(docker, instance.id) != nil
            #expect(!remains, "the container outlived the delete")
            #expect(try docker.containers(label: "io.flotilla.instance=\(instance.id)").isEmpty)
            let gone = try await host.cli(["instance", "get", instance.id])
            #expect(gone.status == 1)
            #expect(gone.err.contains("INSTANCE_NOT_FOUND"), "\(gone.err)")
        }
    }
}
