import ArgumentParser
import FlotillaClient

struct ImageListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List images.")

    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await ClientRunner.run(client) { api in
            try ClientRunner.emit(try await api.listImages(), client, table: OutputFormatter.imageList)
        }
    }
}
