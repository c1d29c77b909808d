import ArgumentParser

/// `flotilla worker ...`: the workers of the cluster (surface B, `/api/v1/workers`).
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "List workers, drain and activate them.",
        subcommands: [WorkerListCommand.self, WorkerGetCommand.self, WorkerDrainCommand.self, WorkerActivateCommand.self]
    )
}
