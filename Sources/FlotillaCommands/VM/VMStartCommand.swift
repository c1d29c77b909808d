import ArgumentParser
import FlotillaClient

struct VMStartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start a SHUTOFF VM.")

    @OptionGroup var target: VMTarget

    func run() async throws {
        let (wait, seconds) = (target.wait, target.waiting.seconds())
        try await ActionRunner.act(.vm, "start", reaching: "ACTIVE", target, waitSeconds: seconds) { api, uuid in
            try await api.startVM(uuid: uuid, wait: wait, waitSeconds: seconds)
        }
    }
}
