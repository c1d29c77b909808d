import ArgumentParser
import FlotillaClient

struct WorkerGetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Show one worker.")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The worker's id.")
    var id: String

    func run() async throws {
        let id = id
        try await ClientRunner.run(client) { api in
            try ClientRunner.emit(try await api.worker(id: id), client, table: OutputFormatter.workerDetail)
        }
    }
}
