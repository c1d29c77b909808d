import ArgumentParser
import FlotillaClient

struct VMRebootCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reboot", abstract: "Reboot an ACTIVE VM.")

    @OptionGroup var target: VMTarget

    @Flag(help: "A hard reboot (reset) instead of a graceful one.")
    var hard = false

    func run() async throws {
        let (hard, wait, seconds) = (hard, target.wait, target.waiting.seconds())
        try await ActionRunner.act(.vm, "reboot", reaching: "ACTIVE", target, waitSeconds: seconds) { api, uuid in
            try await api.rebootVM(uuid: uuid, hard: hard, wait: wait, waitSeconds: seconds)
        }
    }
}
