import Foundation

/// The words of an ``ActionOutcome`` that is not a plain success: an action whose target already held, an
/// instance that failed, a wait that ran out.
extension OutputFormatter {
    /// `instance web is already running`, for an action whose target already held.
    /// - Parameter subject: what the user named, e.g. `instance web`.
    public static func alreadyThere(_ subject: String, state: String) -> String {
        "\(subject) is already \(state)\n"
    }

    /// The lines a command prints on standard error when `outcome` is a failure (an instance in the error
    /// state, or a wait that ran out); empty for any other outcome.
    ///
    /// - `error: instance web (ID): create ended in state error: <state description>`
    /// - `error: instance web (ID): start did not reach running within 1s; it is starting` (or, where the state's
    ///   name covers the target too, `error: VM web (UUID): stop did not finish within 1s; it is SHUTOFF, still
    ///   under way`), then
    ///   `hint: it goes on in the background; follow it with <followUp>`.
    /// - Parameters:
    ///   - subject: the instance, e.g. `instance web (ID)`.
    ///   - action: the action as the user named it.
    ///   - followUp: a command that shows the instance, for the hint after a wait that ran out.
    public static func outcomeFailure(_ outcome: ActionOutcome, subject: String, action: String, followUp: String) -> [String] {
        switch outcome {
        case .failed(let state, let reason):
            let why = reason.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
            return ["error: \(subject): \(action) ended in state \(state): \(why ?? "the server gave no reason")"]
        case .timedOut(let state, let target, let seconds):
            let progress =
                state == target
                ? "did not finish within \(seconds)s; it is \(state), still under way"
                : "did not reach \(target) within \(seconds)s; it is \(state)"
            return [
                "error: \(subject): \(action) \(progress)",
                "hint: it goes on in the background; follow it with `\(followUp)`",
            ]
        case .reached, .accepted, .alreadyThere:
            return []
        }
    }
}
