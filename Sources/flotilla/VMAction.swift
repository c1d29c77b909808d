import ArgumentParser
import FlotillaAPI
import FlotillaClient

/// The shared body of the VM lifecycle commands: resolve the id or name, act, print the outcome.
enum VMAction {
    static func run(
        _ target: VMTarget,
        _ perform: @Sendable (FlotillaClient, String) async throws -> (result: VMs.ActionResult, accepted: Bool)
    ) async throws {
        let options = target.client
        try await ClientRunner.run(options) { api in
            let uuid = try await api.resolveVMID(InstanceReference(target.vm))
            let (result, accepted) = try await perform(api, uuid)
            try ClientRunner.emit(result, options) { result in
                OutputFormatter.vmActionResult(result, accepted: accepted)
            }
        }
    }
}

/// What every VM lifecycle command takes: the client options, the VM, and `--no-wait`.
struct VMTarget: ParsableArguments {
    @OptionGroup var client: ClientOptions

    @Argument(help: "The VM's uuid or its exact name.")
    var vm: String

    @Flag(name: .customLong("no-wait"), help: "Return at once instead of waiting for the result.")
    var noWait = false

    var wait: Bool { !noWait }
}
