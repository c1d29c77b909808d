import ArgumentParser
import FlotillaClient

struct VMStopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop an ACTIVE VM.")

    @OptionGroup var target: VMTarget

    func run() async throws {
        let (wait, seconds) = (target.wait, target.waiting.seconds())
        try await ActionRunner.act(.vm, "stop", reaching: "SHUTOFF", target, waitSeconds: seconds) { api, uuid in
            try await api.stopVM(uuid: uuid, wait: wait, waitSeconds: seconds)
        }
    }
}
