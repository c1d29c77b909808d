import ArgumentParser
import FlotillaClient

struct ClusterStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Cluster figures and the instances on each worker.")

    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await ClientRunner.run(client) { api in
            async let stats = api.clusterStats()
            async let distribution = api.clusterDistribution()
            let status = OutputFormatter.ClusterStatus(stats: try await stats, distribution: try await distribution)
            try ClientRunner.emit(status, client, table: OutputFormatter.clusterStatus)
        }
    }
}
