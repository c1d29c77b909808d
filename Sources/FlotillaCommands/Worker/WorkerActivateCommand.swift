import ArgumentParser
import FlotillaClient

struct WorkerActivateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "activate", abstract: "Let a drained worker take new instances again.")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The worker's id.")
    var id: String

    func run() async throws {
        let id = id
        try await ClientRunner.run(client) { api in
            try ClientRunner.emit(try await api.activateWorker(id: id), client, table: OutputFormatter.workerStatusChange)
        }
    }
}
