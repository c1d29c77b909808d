import FlotillaAPI
import FlotillaClient

/// `flotilla vm ...` (surface C) on the shared ending of waiting commands.
extension ActionRunner {
    /// A lifecycle action on an existing VM: resolves the uuid or name, sends the action, ends as
    /// ``run(_:expecting:named:followUp:current:_:)`` says.
    ///
    /// Surface C answers an action that ends in `ERROR` with 502 `BACKEND_ERROR` (an API error, exit 1, its
    /// details carry the state and its description); a delete that ends in `ERROR` answers with the result, and
    /// the reason is read from the VM.
    static func vmAction(
        _ action: String, reaching state: String, _ target: VMTarget, waitSeconds: Int?,
        _ perform: @escaping @Sendable (FlotillaClient, String) async throws -> (result: VMs.ActionResult, accepted: Bool)
    ) async throws {
        let reference = target.vm
        try await run(
            target.client, expecting: .vm(action, target: state, waitSeconds: waitSeconds), named: "VM \(reference)",
            followUp: "flotilla vm get \(reference)"
        ) { api in
            let uuid = try await api.resolveVMID(InstanceReference(reference))
            let (result, accepted) = try await perform(api, uuid)
            let failedReason = result.currentState == "ERROR" ? (try? await api.vm(uuid: uuid))?.stateDescription : nil
            let subject = InstanceReference(reference) == .id(uuid) ? "VM \(uuid)" : "VM \(reference) (\(uuid))"
            return Reply(
                value: result, subject: subject, state: result.currentState, stateDescription: failedReason,
                underWay: accepted || result.status == "in_progress", summary: OutputFormatter.vmActionResult(result, accepted: accepted))
        }
    }
}

extension ActionRunner.Reply where Value == VMs.VM {
    /// Surface C's answer to a create: the VM. A success prints its details, a 202
    /// `UUID: create accepted, now BUILDING (in progress)`.
    static func vm(_ vm: VMs.VM, accepted: Bool) -> Self {
        Self(
            value: vm, subject: "VM \(vm.name) (\(vm.uuid))", state: vm.state, stateDescription: vm.stateDescription,
            summary: accepted ? "\(vm.uuid): create accepted, now \(vm.state) (in progress)\n" : OutputFormatter.vmDetail(vm))
    }
}
