import ArgumentParser
import FlotillaAPI
import FlotillaClient

/// The states `vm list --state` takes.
enum VMState: String, ExpressibleByArgument, CaseIterable, Sendable {
    case building = "BUILDING", active = "ACTIVE", shutoff = "SHUTOFF", paused = "PAUSED", reboot = "REBOOT"
    case hardReboot = "HARD_REBOOT", error = "ERROR", deleted = "DELETED"

    /// Any case: `active` and `ACTIVE` both work.

    init?(argument: String) {
        self.init(rawValue: argument.uppercased())
    }
}

struct VMListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List VMs, newest first.")

    @OptionGroup var client: ClientOptions

    @OptionGroup var quiet: QuietOption

    @Option(help: "Only this state: BUILDING, ACTIVE, SHUTOFF, PAUSED, REBOOT, HARD_REBOOT, ERROR.")
    var state: VMState?

    @Option(help: "Only VMs whose name contains this text (case-insensitive).")
    var name: String?

    @Option(help: "Page number, from 1.")
    var page: Int?

    @Option(help: "VMs per page (server default 20, at most 100).")
    var pageSize: Int?

    func validate() throws {
        try quiet.check(client)
        if let page, page < 1 { throw ValidationError("--page must be 1 or more") }
        if let pageSize, !(1...FlotillaClient.maxVMPageSize).contains(pageSize) {
            throw ValidationError("--page-size must be between 1 and \(FlotillaClient.maxVMPageSize)")
        }
    }

    func run() async throws {
        try await ClientRunner.run(client) { api in
            let list = try await api.listVMs(page: page, pageSize: pageSize, state: state?.rawValue, name: name)
            try ClientRunner.emitList(list, client, quiet: quiet, ids: { $0.items.map(\.uuid) }, table: OutputFormatter.vmList)
        }
    }
}
