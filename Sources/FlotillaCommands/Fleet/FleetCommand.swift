import ArgumentParser

/// `flotilla fleet`: the whole fleet through surface D (`/api/v2`), answered by any host.
struct FleetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "List and manage instances across the whole cluster (the global API, /api/v2).",
        discussion: """
            Any host answers: lists come from its copy of the registry, `status` from the host that runs \
            the instance. Instances are named by id or by name.
            """,
        subcommands: [
            FleetListCommand.self, FleetGetCommand.self, FleetStatusCommand.self, FleetCreateCommand.self,
            FleetMigrateCommand.self, FleetDeleteCommand.self,
        ]
    )
}
