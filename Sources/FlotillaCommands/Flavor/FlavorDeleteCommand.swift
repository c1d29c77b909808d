import ArgumentParser
import FlotillaAPI
import FlotillaClient

struct FlavorDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a flavor (admin key).")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The flavor id.")
    var id: String

    func run() async throws {
        try await ClientRunner.run(client) { api in
            let deleted = try await api.deleteFlavor(id: id)
            try ClientRunner.emit(deleted, client) { "Deleted flavor \($0.id) (\($0.name)).\n" }
        }
    }
}
