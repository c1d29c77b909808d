import ArgumentParser
import FlotillaAPI
import FlotillaClient

struct WorkerListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the workers of the cluster.")

    @OptionGroup var client: ClientOptions

    @OptionGroup var quiet: QuietOption

    @Option(help: "Only the workers of this zone.")
    var zone: String?

    func validate() throws {
        try quiet.check(client)
    }

    func run() async throws {
        let zone = zone
        try await ClientRunner.run(client) { api in
            try ClientRunner.emitList(
                try await api.listWorkers(zone: zone), client, quiet: quiet, ids: { $0.workers.map(\.id) },
                table: OutputFormatter.workerList)
        }
    }
}
