import ArgumentParser
import FlotillaClient
import Foundation

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

    @Option(help: "When the key stops working, from now: e.g. 30d, 12h, 90m (at most 5 years; default never).")
    var expiresIn: String?

    func run() async throws {
        let role = role
        let expiresAt = try expiresIn.map { text -> Date in
            guard let seconds = KeyDuration.seconds(text) else {
                throw ValidationError("--expires-in must look like 30d, 12h, 90m or 3600s, got \(text)")
            }
            return Date().addingTimeInterval(seconds)
        }
        try await ClientRunner.run(client) { api in
            let created = try await api.createKey(name: name, role: role.rawValue, expiresAt: expiresAt)
            try ClientRunner.emit(created, client, table: OutputFormatter.keyCreated)
        }
    }
}
