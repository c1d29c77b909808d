import ArgumentParser
import FlotillaClient

struct ImageGetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get", abstract: "Show one image and the artifacts each backend uses.")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The image id.")
    var id: String

    func run() async throws {
        try await ClientRunner.run(client) { api in
            try ClientRunner.emit(try await api.image(id: id), client, table: OutputFormatter.imageDetail)
        }
    }
}
