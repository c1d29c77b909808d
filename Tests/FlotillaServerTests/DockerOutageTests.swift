import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaTestSupport
import Foundation
import Logging
import Testing

/// A docker daemon that goes away for ten seconds under twenty running containers: their instances are shown
/// as unknown (never a stale `running`), nothing new is placed on docker, the host writes a handful of log lines,
/// and when the daemon is back every instance runs again by its restart policy with no call made.
@Suite(.docker) struct DockerOutageTests {
    @Test("a 10 s docker outage with 20 instances: at most 30 log lines, no placement, all running again with no call")
    func outage() async throws {
        try await DockerRestartableDaemon.with { daemon in
            let capture = LogCapture()
            try await TestHost.with(logger: capture.logger(level: .info)) { config in
                config.backends = [.docker]
                config.dockerSocket = daemon.socketPath
            } _: { host in
                let spec = InstanceSpec(
                    config: InstanceConfig(
                        image: DockerFixture.image, command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"],
                        networkMode: "none"),
                    resources: Resources(cpuCores: 0.1, memoryBytes: 32 << 20), restartPolicy: .always)
                var ids: [String] = []
                for n in 0..<20 {
                    let written = try await host.host.instances.create(
                        CreateInstance(name: "outage-\(n)", backend: .docker, spec: spec))
                    ids.append(written.instance.id)
                }
                func states() -> [InstanceState] {
                    host.host.registry.read { s in ids.map { s.instances[$0]?.value.state ?? .deleted } }
                }
                try await eventually("20 containers running", timeout: .seconds(120), every: .milliseconds(200)) {
                    states().allSatisfy { $0 == .running }
                }
                capture.reset()
                try await daemon.stop()
                let stoppedAt = ContinuousClock.now
                do {
                    try await eventually("every instance shown as unknown", timeout: .seconds(20), every: .milliseconds(100)) {
                        states().allSatisfy { $0 == .error }
                    }
                } catch {
                    // Says which instances were left in which state, and what the host logged meanwhile.
                    let seen = host.host.registry.read { s in
                        ids.map { id in
                            let record = s.instances[id]?.value
                            return "\(id): \(record?.state.rawValue ?? "gone") \(record?.stateDescription ?? "")"
                        }
                    }
                    let log = capture.all.map { "\($0.level) \($0.message) \($0.details)" }
                    Issue.record("\(error)\n\(seen.joined(separator: "\n"))\nlog:\n\(log.joined(separator: "\n"))")
                    throw error
                }
                // Each says why: the backend is unavailable, or the call that found the daemon gone failed, or the
                // exit seen as the daemon went away ("docker unavailable: exited with code ...").
                let reasons = host.host.registry.read { s in ids.map { s.instances[$0]?.value.stateDescription ?? "" } }
                for reason in reasons { #expect(reason.lowercased().contains("docker"), "\(reason)") }
                // Nothing is placed on a backend that is down: no host has docker up, so a create is refused.
                await #expect(throws: FlotillaError.self) {
                    try await host.host.instances.create(CreateInstance(name: "during-outage", backend: .docker, spec: spec))
                }
                let left = Duration.seconds(10) - (ContinuousClock.now - stoppedAt)
                if left > .zero { try await Task.sleep(for: left) }
                try await daemon.start()
                try await eventually("all 20 running again, with no call made", timeout: .seconds(120), every: .milliseconds(200)) {
                    states().allSatisfy { $0 == .running }
                }
                let lines = capture.all.filter { $0.level >= .info }
                print("log lines during a 10 s docker outage with 20 instances, recovery included: \(lines.count)")
                for line in lines { print("  \(line.level) \(line.label): \(line.message)") }
                #expect(lines.count <= 30, "\(lines.count) lines: \(lines.map { "\($0.level) \($0.message)" })")
                #expect(lines.contains { $0.message == "backend unavailable" })
                for id in ids { _ = try? await host.host.instances.perform(.delete, id: id, options: ActionOptions(force: true)) }
            }
        }
    }
}
