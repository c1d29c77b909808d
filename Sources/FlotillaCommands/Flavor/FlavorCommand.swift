import ArgumentParser

/// `flotilla flavor ...`: the VM sizes, `/api/v1/flavors` (creating and deleting need an admin key).
struct FlavorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flavor",
        abstract: "List, show, create and delete VM flavors.",
        subcommands: [FlavorListCommand.self, FlavorGetCommand.self, FlavorCreateCommand.self, FlavorDeleteCommand.self]
    )
}
