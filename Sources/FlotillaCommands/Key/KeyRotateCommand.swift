import ArgumentParser
import FlotillaClient

struct KeyRotateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Replace an API key: a new key with its role (its secret printed once); the old one expires after --grace.")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The key's id or name.")
    var id: String

    @Option(help: "How long the old key keeps working, e.g. 1h, 30m, 0s (default 1h; at most 30d).")
    var grace: String?

    @Option(help: "The new key's name (default: the old name with -r2, -r3, ...).")
    var name: String?

    func run() async throws {
        let grace = try grace.map { text -> Int in
            guard let seconds = KeyDuration.seconds(text, allowZero: true) else {
                throw ValidationError("--grace must look like 1h, 30m, 90s or 0s, got \(text)")
            }
            return Int(seconds)
        }
        try await ClientRunner.run(client) { api in
            let rotated = try await api.rotateKey(id: id, grace: grace, name: name)
            try ClientRunner.emit(rotated, client, table: OutputFormatter.keyRotated)
        }
    }
}
