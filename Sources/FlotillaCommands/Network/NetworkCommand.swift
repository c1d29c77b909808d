import ArgumentParser

/// `flotilla network ...`: the cluster's VM networks, `/api/v2/networks` (defined with `serve --network`).
struct NetworkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "network", abstract: "List the cluster's VM networks (defined with flotilla serve --network).",
        subcommands: [NetworkListCommand.self])
}
