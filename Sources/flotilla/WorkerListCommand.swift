import ArgumentParser
import FlotillaClient

struct WorkerListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the workers of the cluster.")

    @OptionGroup var client: ClientOptions

    @Option(help: "Only the workers of this zone.")
    var zone: String?

    func run() async throws {
        let zone = zone
        try await ClientRunner.run(client) { api in
            try ClientRunner.emit(try await api.listWorkers(zone: zone), client, table: OutputFormatter.workerList)
        }
    }
}
