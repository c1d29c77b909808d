import ArgumentParser
import FlotillaHost
import Foundation

/// The `flotilla` command: the client commands, grouped by noun in folders beside this file, and `serve`. The
/// executable (Sources/flotilla/main.swift) only runs it.
public struct FlotillaCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "flotilla",
        abstract: "Flotilla: a control plane for microVMs and containers.",
        discussion: """
            Exit status of the client commands:
              0  done, also when the state asked for already held (e.g. start of a
                 running instance), or the action was taken and --no-wait was given
              1  the server refused or failed the request, the instance ended in
                 error, or it did not reach the state asked for within --timeout
              2  usage error: a bad option or value
              3  the server could not be reached
            """,
        version: "flotilla \(FlotillaHost.version)",
        subcommands: [
            ServeCommand.self,
            CertCommand.self,
            InstanceCommand.self,
            KeyCommand.self,
            VMCommand.self,
            FlavorCommand.self,
            ImageCommand.self,
            WorkerCommand.self,
            ClusterCommand.self,
            AuditCommand.self,
            FleetCommand.self,
            EventsCommand.self,
            LogsCommand.self,
            NetworkCommand.self,
            SnapshotCommand.self,
            StoreCommand.self,
        ]
    )

    public init() {}

    /// Exit status for a command line that cannot be used (ArgumentParser itself uses 64, EX_USAGE).
    static let usageExitStatus: Int32 = 2

    /// ArgumentParser's `main()`, except that usage errors exit with status 2.
    /// Client commands report their own errors and throw `ExitCode` (1: API error or failed outcome, 3: unreachable).
    public static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(usageExitStatus)
            }
            exit(withError: error)
        }
    }
}
