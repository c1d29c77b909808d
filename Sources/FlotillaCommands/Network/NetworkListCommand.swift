import ArgumentParser
import FlotillaAPI
import FlotillaClient

struct NetworkListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the VM networks with their range, gateway, bridge and addresses in use.")

    @OptionGroup var client: ClientOptions

    @OptionGroup var quiet: QuietOption

    func validate() throws {
        try quiet.check(client)
    }

    func run() async throws {
        try await ClientRunner.run(client) { api in
            try ClientRunner.emitList(
                try await api.networks(), client, quiet: quiet, ids: { $0.items.map(\.name) }, table: OutputFormatter.networkList)
        }
    }
}
