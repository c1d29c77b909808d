import ArgumentParser
import FlotillaClient

struct VMDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a VM (any state).")

    @OptionGroup var target: VMTarget

    func run() async throws {
        let (wait, seconds) = (target.wait, target.waiting.seconds())
        try await ActionRunner.act(.vm, "delete", reaching: "DELETED", target, waitSeconds: seconds) { api, uuid in
            try await api.deleteVM(uuid: uuid, wait: wait, waitSeconds: seconds)
        }
    }
}
