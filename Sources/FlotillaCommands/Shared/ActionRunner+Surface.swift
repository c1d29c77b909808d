import FlotillaAPI
import FlotillaClient

/// `flotilla instance ...` and `flotilla vm ...` on the shared ending of waiting commands.
extension ActionRunner {
    /// A lifecycle action on an existing instance or VM: resolves the id or name, sends the action, ends as
    /// ``run(_:expecting:named:followUp:current:_:)`` says.
    ///
    /// - Parameters:
    ///   - surface: the API the action goes through (``ActionSurface/instance``, ``ActionSurface/vm``).
    ///   - action: the action's name, as the user typed it.
    ///   - state: the state the action reaches, in the surface's vocabulary.
    ///   - waitSeconds: the seconds the server is asked to wait; `nil` with `--no-wait`.
    ///   - perform: sends the action to the subject with the given id; its answer, and whether it was accepted (202).
    static func act<Answer>(
        _ surface: ActionSurface<Answer>, _ action: String, reaching state: String, _ target: some ActionTarget, waitSeconds: Int?,
        _ perform: @escaping @Sendable (FlotillaClient, String) async throws -> (Answer, accepted: Bool)
    ) async throws {
        let reference = target.reference
        let named = InstanceReference(reference)
        let current = surface.current.map { read in
            { @Sendable (api: FlotillaClient) in try await read(api, named) }
        }
        try await run(
            target.client, expecting: surface.expectation(action, state, waitSeconds), named: "\(surface.noun) \(reference)",
            followUp: "flotilla \(surface.command) get \(reference)", current: current
        ) { api in
            let id = try await surface.resolve(api, named)
            let (answer, accepted) = try await perform(api, id)
            return try await surface.reply(
                api, ActionSurface.Action(name: action, reference: reference, id: id, answer: answer, accepted: accepted))
        }
    }
}
