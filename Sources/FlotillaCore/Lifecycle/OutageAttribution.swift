public import Foundation

/// Names a backend outage in the reason of an exit or an error it caused (docs/decisions/0011-lifecycle-core-and-restart-policies.md).
///
/// An exit or a failed step seen while the backend is unavailable, or within ``window`` after it came back, is
/// recorded as "<backend> unavailable: <the original reason>", e.g. "docker unavailable: exited with code 128: ...":
/// an operator sees that the daemon itself was down, and nothing the backend said is lost. An exit seen while the
/// backend is healthy keeps its reason unchanged.
public struct OutageAttribution: Sendable, Equatable {
    /// How long after the backend came back an exit or error is still put down to the outage. The default, 10 s,
    /// covers what follows a return: the health check that notices it (every second), the reconcile of every
    /// instance on the backend that it triggers (which finds what the outage stopped), and the first restarts by
    /// policy with their back-off (1, 2, 4 s) on a daemon still settling. An instance that fails on its own in
    /// those seconds is put down to the outage too: its reason still follows the prefix.
    public var window: TimeInterval

    public init(window: TimeInterval = 10) {
        self.window = window
    }

    /// Whether an exit or error seen at `now` is put down to an outage of its backend: it is down, or came back
    /// at most ``window`` ago (a clock that stepped back since counts as within).
    public func covers(_ availability: BackendAvailability, now: Date) -> Bool {
        switch availability {
        case .available: return false
        case .unavailable: return true
        case .recovered(let at): return now.timeIntervalSince(at) <= window
        }
    }

    /// `reason` as recorded for an exit or error of an instance on `backend` seen at `now`: prefixed with
    /// ``prefix(_:)`` when ``covers(_:now:)`` (once: a reason that already has it is kept as it is).
    public func reason(_ reason: String, on backend: BackendKind, _ availability: BackendAvailability, now: Date) -> String {
        let prefix = Self.prefix(backend)
        guard covers(availability, now: now), !reason.hasPrefix(prefix) else { return reason }
        return prefix + reason
    }

    /// "docker unavailable: ", "kvm unavailable: ", ...
    public static func prefix(_ backend: BackendKind) -> String {
        "\(backend.rawValue) unavailable: "
    }
}
