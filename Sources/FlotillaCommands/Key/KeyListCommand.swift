import ArgumentParser
import FlotillaAPI
import FlotillaClient

struct KeyListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List API keys with their expiry and last use (never their secrets).")

    @OptionGroup var client: ClientOptions

    @OptionGroup var quiet: QuietOption

    func validate() throws {
        try quiet.check(client)
    }

    func run() async throws {
        try await ClientRunner.run(client) { api in
            try ClientRunner.emitList(
                try await api.listKeys(), client, quiet: quiet, ids: { $0.keys.map(\.id) }, table: OutputFormatter.keyLifecycles)
        }
    }
}
