import ArgumentParser
import FlotillaClient

struct FlavorGetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Show one flavor.")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The flavor id.")
    var id: String

    func run() async throws {
        try await ClientRunner.run(client) { api in
            try ClientRunner.emit(try await api.flavor(id: id), client, table: OutputFormatter.flavorDetail)
        }
    }
}
