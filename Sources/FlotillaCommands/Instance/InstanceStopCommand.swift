import ArgumentParser
import FlotillaClient

struct InstanceStopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "Stop a running instance (an instance already stopped is left as it is).",
        discussion: """
            --grace is how long the instance may take to shut down before it is killed; --timeout is how long the \
            command waits for it to be stopped (by default 60 s, or the grace period plus 10 s when that is longer).
            """)

    @OptionGroup var target: InstanceTarget

    @Flag(help: "Kill at once instead of asking the instance to shut down.")
    var force = false

    @Option(
        help: ArgumentHelp(
            "Seconds the instance gets to shut down before it is killed, 0 to 3600 (server default 30).", valueName: "seconds"))
    var grace: Int?

    func validate() throws {
        if let grace, !(0...3600).contains(grace) { throw ValidationError("--grace must be from 0 to 3600 seconds") }
    }

    func run() async throws {
        // The server stretches its own default wait in the same way: the wait must outlast the grace period.
        let seconds = target.waiting.seconds(default: max(WaitOptions.defaultSeconds, (grace ?? 0) + 10))
        let (force, grace, wait) = (force, grace, target.wait)
        try await ActionRunner.act(.instance, "stop", reaching: "stopped", target, waitSeconds: seconds) { api, id in
            try await api.stop(id: id, force: force, timeout: grace, wait: wait, waitSeconds: seconds)
        }
    }
}
