import ArgumentParser
import FlotillaAPI
import FlotillaClient

/// The one ending of every command that waits for a lifecycle action, `flotilla instance ...` and
/// `flotilla vm ...` alike: it performs the action, decides the ``ActionOutcome`` from the answer
/// (``ActionOutcome/decide(state:stateDescription:expecting:)``), prints it and exits with its status:
///
/// - 0 when the instance reached the target state, when the target already held (an action refused for
///   that reason), or when the server took the action and `--no-wait` was given;
/// - 1 when the instance ended in the error state (with its state description) or the wait ran out
///   (with the state it is in, the target and the bound), and for any other error answer;
/// - 2 for a usage error, 3 when the server cannot be reached (``ClientRunner``).
enum ActionRunner {
    /// The server's answer to an action, reduced to what its outcome is decided from.
    struct Reply<Value: Encodable & Sendable>: Sendable {
        /// What `--output json` prints: the wire answer.
        var value: Value
        /// The instance as the messages name it, e.g. `instance web (ID)`.
        var subject: String
        /// The state in the answer, in the surface's vocabulary.
        var state: String
        /// Why it is in that state, when the server says.
        var stateDescription: String?
        /// The server says the action is still under way (surface C's `status: "in_progress"`).
        var underWay = false
        /// What `--output table` prints when the outcome is a success.
        var summary: String
    }

    /// Performs an action and ends the command as its outcome says.
    ///
    /// - Parameters:
    ///   - expected: the action, its target state and the seconds the server was asked to wait.
    ///   - named: the instance as the user named it (`instance web`), for "already there".
    ///   - followUp: the command that shows the instance, for the hint after a wait that ran out.
    ///   - current: reads the instance when the target already held, for `--output json`; `nil` prints the
    ///     message instead.
    ///   - perform: sends the action.
    static func run<Value: Encodable & Sendable>(
        _ options: ClientOptions, expecting expected: ActionExpectation, named: String, followUp: String,
        current: (@Sendable (FlotillaClient) async throws -> Value)? = nil,
        _ perform: @Sendable (FlotillaClient) async throws -> Reply<Value>
    ) async throws {
        try await ClientRunner.run(options, timeout: requestTimeout(waitSeconds: expected.waitSeconds)) { api in
            let reply: Reply<Value>
            do {
                reply = try await perform(api)
            } catch let error as FlotillaClientError {
                guard case .alreadyThere(let state)? = ActionOutcome.refused(error, expecting: expected) else { throw error }
                let message = OutputFormatter.alreadyThere(named, state: state)
                if options.output == .json, let current {
                    ClientRunner.printOut(try OutputFormatter.json(try await current(api)))
                    ClientRunner.printError(message)
                } else {
                    ClientRunner.printOut(message)
                }
                return
            }
            let outcome = ActionOutcome.decide(
                state: reply.state, stateDescription: reply.stateDescription, underWay: reply.underWay, expecting: expected)
            let failure = OutputFormatter.outcomeFailure(outcome, subject: reply.subject, action: expected.action, followUp: followUp)
            if failure.isEmpty {
                try ClientRunner.emit(reply.value, options) { _ in reply.summary }
                return
            }
            if options.output == .json { ClientRunner.printOut(try OutputFormatter.json(reply.value)) }
            ClientRunner.printError(failure.joined(separator: "\n"))
            throw ExitCode(outcome.exitStatus)
        }
    }

    /// The deadline of each HTTP request of a waiting command: the server's wait plus a margin for the
    /// exchange, and never below the client's usual 90 s.
    static func requestTimeout(waitSeconds: Int?) -> Duration {
        .seconds(max(90, (waitSeconds ?? 0) + 30))
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

extension ActionRunner.Reply where Value == VMs.VM {
    /// Surface C's answer to a create: the VM. A success prints its details, a 202
    /// `UUID: create accepted, now BUILDING (in progress)`.
    static func vm(_ vm: VMs.VM, accepted: Bool) -> Self {
        Self(
            value: vm, subject: "VM \(vm.name) (\(vm.uuid))", state: vm.state, stateDescription: vm.stateDescription,
            summary: accepted ? "\(vm.uuid): create accepted, now \(vm.state) (in progress)\n" : OutputFormatter.vmDetail(vm))
    }
}
