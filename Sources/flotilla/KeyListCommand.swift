import ArgumentParser
import FlotillaClient

struct KeyListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List API keys with their expiry and last use (never their secrets).")

    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await ClientRunner.run(client) { api in
            try ClientRunner.emit(try await api.listKeys(), client, table: OutputFormatter.keyLifecycles)
        }
    }
}
