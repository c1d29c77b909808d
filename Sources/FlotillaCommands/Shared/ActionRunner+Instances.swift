import FlotillaAPI
import FlotillaClient

/// `flotilla instance ...` (surface A) on the shared ending of waiting commands.
extension ActionRunner {
    /// A lifecycle action on an existing instance: resolves the id or name, sends the action, ends as
    /// ``run(_:expecting:named:followUp:current:_:)`` says.
    ///
    /// - Parameters:
    ///   - action: the action's name, as the user typed it.
    ///   - state: the state the action reaches (surface A's vocabulary).
    ///   - waitSeconds: the seconds the server is asked to wait; `nil` with `--no-wait`.
    ///   - perform: sends the action to the instance with the given id.
    static func instanceAction(
        _ action: String, reaching state: String, _ target: InstanceTarget, waitSeconds: Int?,
        _ perform: @escaping @Sendable (FlotillaClient, String) async throws -> (instance: Compute.Instance, accepted: Bool)
    ) async throws {
        let reference = target.instance
        try await run(
            target.client, expecting: .instance(action, target: state, waitSeconds: waitSeconds), named: "instance \(reference)",
            followUp: "flotilla instance get \(reference)", current: { api in try await api.instance(InstanceReference(reference)) }
        ) { api in
            let id = try await api.resolveID(InstanceReference(reference))
            let (instance, accepted) = try await perform(api, id)
            return Reply<Compute.Instance>.instance(instance, action: action, accepted: accepted)
        }
    }
}

extension ActionRunner.Reply where Value == Compute.Instance {
    /// Surface A's answer: the instance. A success prints `web (ID): running` (or `create`'s details), a 202
    /// `web (ID): stop accepted, now stopping`.
    static func instance(_ instance: Compute.Instance, action: String, accepted: Bool, details: Bool = false) -> Self {
        let summary =
            details && !accepted
            ? OutputFormatter.instanceDetail(instance) : OutputFormatter.actionResult(action, instance, accepted: accepted)
        return Self(
            value: instance, subject: "instance \(instance.name) (\(instance.id))", state: instance.state,
            stateDescription: instance.stateDescription, summary: summary)
    }
}
