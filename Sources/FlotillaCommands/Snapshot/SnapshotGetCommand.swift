import ArgumentParser
import FlotillaClient

struct SnapshotGetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Show a snapshot.")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The snapshot's id.")
    var id: String

    func run() async throws {
        let id = id
        try await ClientRunner.run(client) { api in
            try ClientRunner.emit(try await api.snapshot(id: id), client, table: OutputFormatter.snapshotDetail)
        }
    }
}
