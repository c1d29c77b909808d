import FlotillaBackends
import FlotillaCore
import FlotillaTestSupport
import Foundation
import Testing

/// A docker daemon that is shutting down removes its socket at once, then stops its containers for seconds while it
/// still answers on the connections already open: the backend's health check (`info()`) says it is unavailable from
/// the start of that, not only once the daemon has exited.
@Suite(.docker) struct DockerShutdownHealthTests {
    @Test("dockerd on SIGTERM, still stopping a container: info() already reports the daemon unavailable")
    func shuttingDownIsUnavailable() async throws {
        try await DockerRestartableDaemon.with { daemon in
            let backend = DockerBackend(configuration: .init(socketPath: daemon.socketPath))
            let id = UUID().uuidString.lowercased()
            // `sleep` as the container's first process ignores SIGTERM: the daemon waits its stop timeout (10 s)
            // before it kills it and exits.
            let config = InstanceConfig(image: DockerFixture.image, command: ["sleep", "3600"], networkMode: "none")
            try await backend.create(DockerFixtures.request(id: id, config: config))
            try await backend.start(id: id)
            #expect(try await backend.inspect(id: id).state == .running)
            #expect(await backend.info().status == .running)

            let pidText = try String(contentsOfFile: "\(await daemon.directory)/dockerd.pid", encoding: .utf8)
            let pid = try #require(pid_t(pidText.trimmingCharacters(in: .whitespacesAndNewlines)))
            kill(pid, SIGTERM)
            // The cap is for a loaded machine; what matters is that it happens while the daemon still runs.
            try await eventually("info() reports the daemon unavailable", timeout: .seconds(8), every: .milliseconds(100)) {
                await backend.info().status == .unavailable
            }
            #expect(kill(pid, 0) == 0, "dockerd had already exited: the check proved nothing about a shutting-down daemon")
            let info = await backend.info()
            #expect(info.reason?.contains(daemon.socketPath) == true, "\(info.reason ?? "")")
            try await daemon.stop()
        }
    }
}
