import ArgumentParser

/// `flotilla key ...`: API key management (`/api/v1/keys`, needs an admin key).
struct KeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Manage API keys (needs an admin key).",
        subcommands: [KeyCreateCommand.self, KeyListCommand.self, KeyRotateCommand.self, KeyRevokeCommand.self]
    )
}
