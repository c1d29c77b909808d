import ArgumentParser
import FlotillaClient

/// `admin`, `operator` or `reader`.
enum KeyRole: String, ExpressibleByArgument, CaseIterable, Sendable {
    case admin, `operator`, reader
}

struct KeyCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create an API key and print its secret (shown only once).")

    @OptionGroup var client: ClientOptions

    @Argument(help: "A name for the key.")
    var name: String

    @Option(help: "admin (everything), operator (instances) or reader (read only).")
    var role: KeyRole

    func run() async throws {
        let role = role
        try await ClientRunner.run(client) { api in
            let created = try await api.createKey(name: name, role: role.rawValue)
            try ClientRunner.emit(created, client, table: OutputFormatter.keyCreated)
        }
    }
}
