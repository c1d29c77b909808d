import ArgumentParser

/// `flotilla image ...`: the VM image catalog, `/api/v1/images` (importing and deleting need an admin key).
struct ImageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image",
        abstract: "List, show, import and delete VM images.",
        subcommands: [ImageListCommand.self, ImageGetCommand.self, ImageImportCommand.self, ImageDeleteCommand.self]
    )
}
