import ArgumentParser
import Foundation

/// `flotilla-bench docker`: create+start through Flotilla vs the same two Engine API calls made directly.
struct DockerBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "docker", abstract: "docker create+start through Flotilla vs the Engine API directly (median of N each).")

    @Option(help: "The daemon's socket (env FLOTILLA_DOCKER_SOCKET; default /var/run/docker.sock).")
    var socket: String?
    @Option(help: "Runs of each.") var iterations = 20

    func run() async throws {
        let path = socket ?? ProcessInfo.processInfo.environment["FLOTILLA_DOCKER_SOCKET"] ?? "/var/run/docker.sock"
        print(try await runDockerBench(socket: path, iterations: iterations))
    }
}
