import ArgumentParser

/// `flotilla vm ...`: surface C, `/api/v1/vms`.
struct VMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vm",
        abstract: "Create, inspect and drive VMs through the VM API (/api/v1/vms).",
        subcommands: [
            VMCreateCommand.self, VMListCommand.self, VMGetCommand.self, VMStartCommand.self, VMStopCommand.self,
            VMRebootCommand.self, VMSyncCommand.self, VMDeleteCommand.self,
        ]
    )
}
