import ArgumentParser

/// `flotilla instance ...`: surface A, `/api/v1/compute/instances`.
struct InstanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "instance",
        abstract: "Create, inspect and drive compute instances (VMs and containers).",
        subcommands: [
            InstanceCreateCommand.self, InstanceListCommand.self, InstanceGetCommand.self,
            InstanceStartCommand.self, InstanceStopCommand.self, InstanceRestartCommand.self,
            InstancePauseCommand.self, InstanceUnpauseCommand.self, InstanceDeleteCommand.self,
            InstanceUsageCommand.self, InstanceUpdateCommand.self,
        ]
    )
}
