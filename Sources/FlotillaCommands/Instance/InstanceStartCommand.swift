import ArgumentParser
import FlotillaClient

struct InstanceStartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start", abstract: "Start a stopped instance (an instance already running is left as it is).")

    @OptionGroup var target: InstanceTarget

    func run() async throws {
        let (wait, seconds) = (target.wait, target.waiting.seconds())
        try await ActionRunner.act(.instance, "start", reaching: "running", target, waitSeconds: seconds) { api, id in
            try await api.start(id: id, wait: wait, waitSeconds: seconds)
        }
    }
}
