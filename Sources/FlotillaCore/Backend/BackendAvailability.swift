public import Foundation

/// What the owning host knows of one of its backends when it records an exit or an error of an instance on it
/// (``OutageAttribution`` decides what that means for the recorded reason).
public enum BackendAvailability: Sendable, Equatable {
    /// Up, and never found down since the host started.
    case available
    /// Down now, with why.
    case unavailable(String)
    /// Up again since `at`, after it was found down.
    case recovered(at: Date)
}
