import ArgumentParser
import FlotillaClient

struct FlavorListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List flavors.")

    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await ClientRunner.run(client) { api in
            try ClientRunner.emit(try await api.listFlavors(), client, table: OutputFormatter.flavorList)
        }
    }
}
