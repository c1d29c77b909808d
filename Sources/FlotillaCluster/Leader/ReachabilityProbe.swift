import FlotillaCore

/// How ``LeaderProbe`` tries the leader's advertised address: the cluster layer decides on the outcomes
/// (``LeaderWatch``), the host opens the connection (`TCPProbe` in FlotillaHost; docs/architecture.md).
public protocol ReachabilityProbe: Sendable {
    /// Tries to connect to `address` (an `http://` or `https://` URL) within `timeout`: ``ProbeOutcome/answered``
    /// when it accepts, ``ProbeOutcome/refused`` when it certainly refuses, ``ProbeOutcome/silent`` otherwise.
    func probe(_ address: String, timeout: Duration) async -> ProbeOutcome
}
