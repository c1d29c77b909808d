public import Foundation

/// What the owning host does when an instance that should run has stopped on its own (a crash, a kill or a
/// removal behind Flotilla's back, a guest poweroff): restart it, restart it only after a failure, or leave it.
/// Restarts back off exponentially and the count resets after a stable run, as Docker's and Nomad's do
/// (docs/decisions/0011-lifecycle-core-and-restart-policies.md).
public struct RestartPolicy: Sendable, Codable, Equatable, Hashable {
    public enum Mode: String, Sendable, Codable, CaseIterable, Equatable, Hashable {
        /// Never restarted: the instance stays as it ended and its desired state becomes `stopped`.
        case never
        /// Restarted after a failure (an exit with a non-zero code, a kill, a crash, a removal), at most
        /// `maxAttempts` times in a row; a clean exit (code 0, a guest poweroff) is left alone.
        case onFailure = "on-failure"
        /// Restarted after every exit.
        case always
    }

    public var mode: Mode
    /// The most restarts in a row under `on-failure` (nil: the default, ``defaultMaxAttempts``).
    public var maxAttempts: Int?

    public init(mode: Mode, maxAttempts: Int? = nil) {
        self.mode = mode
        self.maxAttempts = maxAttempts
    }

    public static let always = RestartPolicy(mode: .always)
    public static let never = RestartPolicy(mode: .never)
    public static func onFailure(maxAttempts: Int? = nil) -> RestartPolicy {
        RestartPolicy(mode: .onFailure, maxAttempts: maxAttempts)
    }

    /// The default number of restarts in a row under `on-failure`.
    public static let defaultMaxAttempts = 5
    /// The largest `maxAttempts` accepted.
    public static let maxAttemptsLimit = 1000

    /// The policy of an instance whose spec names none: what desired state `running` means, keep it running.
    public static let `default` = RestartPolicy.always

    /// How many restarts in a row this policy allows (nil: no bound).
    public var attemptLimit: Int? {
        switch mode {
        case .never: return 0
        case .onFailure: return maxAttempts ?? Self.defaultMaxAttempts
        case .always: return nil
        }
    }

    /// Parses Docker's spelling (`no`, `always`, `unless-stopped`, `on-failure`, `on-failure:N`), which surface A's
    /// `config.restartPolicy` takes, and Flotilla's own (`never`). `unless-stopped` is `always`: Flotilla never
    /// restarts what a user stopped through it, and an exit behind its back is what the policy is for.
    public static func parse(_ raw: String, field: String = "config.restartPolicy") throws(FlotillaError) -> RestartPolicy {
        let text = raw.trimmingCharacters(in: .whitespaces)
        switch text {
        case "no", "never": return .never
        case "always", "unless-stopped": return .always
        case "on-failure": return .onFailure()
        default:
            let prefix = "on-failure:"
            if text.hasPrefix(prefix), let n = Int(text.dropFirst(prefix.count)), (1...maxAttemptsLimit).contains(n) {
                return .onFailure(maxAttempts: n)
            }
            throw .validation(
                "\(field) must be one of no, never, always, unless-stopped, on-failure or on-failure:N "
                    + "(N from 1 to \(maxAttemptsLimit)), not \"\(raw.prefix(64))\"",
                field: field)
        }
    }

    /// Checks a policy given as a value (surface D's and the CLI's).
    public func validate(field: String = "restartPolicy") throws(FlotillaError) {
        if let maxAttempts {
            guard mode == .onFailure else {
                throw .validation("\(field).maxAttempts applies only to mode on-failure", field: "\(field).maxAttempts")
            }
            guard (1...Self.maxAttemptsLimit).contains(maxAttempts) else {
                throw .validation(
                    "\(field).maxAttempts must be from 1 to \(Self.maxAttemptsLimit)", field: "\(field).maxAttempts")
            }
        }
    }

    /// Docker's spelling of this policy, for display.
    public var description: String {
        switch mode {
        case .never: return "never"
        case .always: return "always"
        case .onFailure: return "on-failure:\(attemptLimit ?? Self.defaultMaxAttempts)"
        }
    }
}

/// The back-off between restarts: `initial`, doubled after each attempt up to `maximum`; the attempt count
/// resets once an instance has run for `resetAfter`.
public struct RestartBackoff: Sendable, Equatable {
    public var initial: TimeInterval
    public var maximum: TimeInterval
    public var resetAfter: TimeInterval

    public init(initial: TimeInterval = 1, maximum: TimeInterval = 60, resetAfter: TimeInterval = 10) {
        self.initial = initial
        self.maximum = maximum
        self.resetAfter = resetAfter
    }

    /// The delay before restart number `attempt` (1-based): initial, 2 x initial, 4 x initial, ... at most maximum.
    public func delay(beforeAttempt attempt: Int) -> TimeInterval {
        let doublings = Double(max(0, min(attempt - 1, 30)))
        return min(maximum, initial * pow(2, doublings))
    }
}

/// Where an instance stands with its restart policy; shown in the instance's fields and state description.
public struct RestartStatus: Sendable, Codable, Equatable, Hashable {
    /// Restarts made in a row by the policy since the last stable run or user action.
    public var attempts: Int
    /// When the next restart is due; nil when none is planned.
    public var nextAttemptAt: Date?
    /// True once the policy gave up (the attempts ran out, or the policy does not restart this exit).
    public var gaveUp: Bool

    public init(attempts: Int = 0, nextAttemptAt: Date? = nil, gaveUp: Bool = false) {
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.gaveUp = gaveUp
    }
}
