import ArgumentParser
import FlotillaClient

struct InstanceStopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop a running instance.")

    @OptionGroup var target: InstanceTarget

    @Flag(help: "Kill at once instead of asking the instance to shut down.")
    var force = false

    @Option(help: "Seconds to wait for a graceful shutdown before killing (server default when left out).")
    var timeout: Int?

    func validate() throws {
        if let timeout, timeout < 0 { throw ValidationError("--timeout must be 0 or more seconds") }
    }

    func run() async throws {
        let (force, timeout, wait) = (force, timeout, target.wait)
        // The server may wait for the grace period before answering: leave room beyond it.
        let deadline = Duration.seconds(max(90, (timeout ?? 0) + 60))
        try await InstanceAction.run("stop", target, timeout: deadline) { api, id in
            try await api.stop(id: id, force: force, timeout: timeout, wait: wait)
        }
    }
}
