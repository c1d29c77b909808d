import ArgumentParser
import FlotillaAPI
import FlotillaClient

struct KeyRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke an API key.")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The key's id.")
    var id: String

    func run() async throws {
        try await ClientRunner.run(client) { api in
            let key = try await api.revokeKey(id: id)
            try ClientRunner.emit(key, client) { key in "Revoked API key '\(key.name)' (id \(key.id), role \(key.role)).\n" }
        }
    }
}
