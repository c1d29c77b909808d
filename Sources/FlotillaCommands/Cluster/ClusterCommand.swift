import ArgumentParser

/// `flotilla cluster ...`: cluster-wide figures (surface B, `/api/v1/cluster`).
struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster", abstract: "Show the cluster's capacity and where instances run.",
        subcommands: [ClusterStatusCommand.self])
}
