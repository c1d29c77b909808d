import ArgumentParser
import FlotillaAPI
import FlotillaClient

struct FlavorListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List flavors.")

    @OptionGroup var client: ClientOptions

    @OptionGroup var quiet: QuietOption

    func validate() throws {
        try quiet.check(client)
    }

    func run() async throws {
        try await ClientRunner.run(client) { api in
            try ClientRunner.emitList(
                try await api.listFlavors(), client, quiet: quiet, ids: { $0.items.map(\.id) }, table: OutputFormatter.flavorList)
        }
    }
}
