import ArgumentParser
import FlotillaAPI
import FlotillaClient

/// The shared body of the lifecycle commands: resolve the id or name, act, print the outcome.
enum InstanceAction {
    static func run(
        _ action: String, _ target: InstanceTarget, timeout: Duration = .seconds(90),
        _ perform: @Sendable (FlotillaClient, String) async throws -> (instance: Compute.Instance, accepted: Bool)
    ) async throws {
        let options = target.client
        try await ClientRunner.run(options, timeout: timeout) { api in
            let id = try await api.resolveID(InstanceReference(target.instance))
            let (instance, accepted) = try await perform(api, id)
            try ClientRunner.emit(instance, options) { instance in
                OutputFormatter.actionResult(action, instance, accepted: accepted)
            }
        }
    }
}

/// What every lifecycle command takes: the client options, the instance, and `--no-wait`.
struct InstanceTarget: ParsableArguments {
    @OptionGroup var client: ClientOptions

    @Argument(help: "The instance's id (a UUID) or name.")
    var instance: String

    @Flag(name: .customLong("no-wait"), help: "Return at once instead of waiting for the result.")
    var noWait = false

    var wait: Bool { !noWait }
}
