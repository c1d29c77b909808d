import ArgumentParser
import FlotillaAPI
import FlotillaClient

struct ImageDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete an image (admin key).")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The image id.")
    var id: String

    func run() async throws {
        try await ClientRunner.run(client) { api in
            let deleted = try await api.deleteImage(id: id)
            try ClientRunner.emit(deleted, client) { "Deleted image \($0.id) (\($0.name)).\n" }
        }
    }
}
