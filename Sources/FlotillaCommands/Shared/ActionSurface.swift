import FlotillaAPI
import FlotillaClient

/// What differs between a lifecycle action of `flotilla instance` (surface A) and one of `flotilla vm` (surface C),
/// for ``ActionRunner/act(_:_:reaching:_:waitSeconds:_:)``: the whole difference, one value per surface.
struct ActionSurface<Answer: Encodable & Sendable>: Sendable {
    /// The noun of the messages: `instance`, `VM`.
    var noun: String
    /// The command group, for the hint after a wait that ran out: `flotilla instance get`, `flotilla vm get`.
    var command: String
    /// The action's expectation, its target state in the surface's vocabulary (``ActionExpectation``).
    var expectation: @Sendable (_ action: String, _ target: String, _ waitSeconds: Int?) -> ActionExpectation
    /// The id the surface addresses, from the id or the name the user typed.
    var resolve: @Sendable (FlotillaClient, InstanceReference) async throws -> String
    /// Reads the subject for `--output json` when the target state already held; nil prints the message instead.
    var current: (@Sendable (FlotillaClient, InstanceReference) async throws -> Answer)?
    /// The answer to an action reduced to what its outcome is decided from.
    var reply: @Sendable (_ api: FlotillaClient, _ action: Action<Answer>) async throws -> ActionRunner.Reply<Answer>

    /// An action as the server answered it.
    struct Action<Value: Sendable>: Sendable {
        /// The action's name, as the user typed it.
        var name: String
        /// The subject as the user named it, and the id it resolved to.
        var reference: String
        var id: String
        var answer: Value
        /// The server took the action and answered before it finished (202).
        var accepted: Bool
    }
}

extension ActionSurface where Answer == Compute.Instance {
    /// Surface A: the answer is the instance.
    static var instance: Self {
        Self(
            noun: "instance", command: "instance", expectation: { .instance($0, target: $1, waitSeconds: $2) },
            resolve: { api, reference in try await api.resolveID(reference) },
            current: { api, reference in try await api.instance(reference) },
            reply: { _, action in .instance(action.answer, action: action.name, accepted: action.accepted) })
    }
}

extension ActionSurface where Answer == VMs.ActionResult {
    /// Surface C: the answer is the action's result. An action that ends in `ERROR` answers with 502 `BACKEND_ERROR`
    /// (an API error, exit 1, its details carry the state and its description); a delete that ends in `ERROR`
    /// answers with the result, and the reason is read from the VM.
    static var vm: Self {
        Self(
            noun: "VM", command: "vm", expectation: { .vm($0, target: $1, waitSeconds: $2) },
            resolve: { api, reference in try await api.resolveVMID(reference) }, current: nil,
            reply: { api, action in
                let result = action.answer
                let failedReason = result.currentState == "ERROR" ? (try? await api.vm(uuid: action.id))?.stateDescription : nil
                let subject =
                    InstanceReference(action.reference) == .id(action.id) ? "VM \(action.id)" : "VM \(action.reference) (\(action.id))"
                return ActionRunner.Reply(
                    value: result, subject: subject, state: result.currentState, stateDescription: failedReason,
                    underWay: action.accepted || result.status == "in_progress",
                    summary: OutputFormatter.vmActionResult(result, accepted: action.accepted))
            })
    }
}
