import FlotillaAPI
import FlotillaClient

/// The shared body of the lifecycle commands: resolve the id or name, act, print the outcome.
enum InstanceAction {
    static func run(
        _ action: String, instance reference: String, options: ClientOptions, timeout: Duration = .seconds(90),
        _ perform: @Sendable (FlotillaClient, String) async throws -> (instance: Compute.Instance, accepted: Bool)
    ) async throws {
        try await ClientRunner.run(options, timeout: timeout) { api in
            let id = try await api.resolveID(InstanceReference(reference))
            let (instance, accepted) = try await perform(api, id)
            try ClientRunner.emit(instance, options) { instance in
                OutputFormatter.actionResult(action, instance, accepted: accepted)
            }
        }
    }
}
