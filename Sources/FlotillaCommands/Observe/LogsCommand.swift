import ArgumentParser
import FlotillaClient
import Foundation

/// `flotilla logs ID|NAME [--follow] [--tail N]` (ADR 0024): writes an instance's log to standard output as it
/// comes. Exit 0 when the log ends (with `--follow`: the instance stopped or was deleted); 1 for an API error
/// (an unknown instance, one not placed yet); 3 when the server cannot be reached. Ctrl-C ends it.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Print an instance's log (docker: stdout and stderr; kvm: the serial console).",
        discussion: """
            Any host answers: the host that runs the instance reads the log. With --follow, the log streams until \
            the instance stops or is deleted, or Ctrl-C.
            """)

    @OptionGroup var client: ClientOptions

    @Argument(help: "The instance's id (a UUID) or name.")
    var instance: String

    @Flag(name: [.short, .long], help: "Keep printing what the instance writes until it stops.")
    var follow = false

    @Option(name: [.short, .long], help: "Print the last N lines first (0...10000; default 100).")
    var tail: Int?

    func validate() throws {
        if let tail, !(0...10_000).contains(tail) { throw ValidationError("--tail must be between 0 and 10000") }
    }

    func run() async throws {
        try await ClientRunner.run(client) { api in
            let id = try await api.resolveID(InstanceReference(instance))
            try await api.logs(id: id, tail: tail, follow: follow) { piece in
                FileHandle.standardOutput.write(piece)
            }
        }
    }
}
