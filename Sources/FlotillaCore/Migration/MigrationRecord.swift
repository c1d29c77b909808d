public import Foundation

/// The last migration of an instance, kept in its record (docs/decisions/0027-live-migration.md), so that what
/// happened and why is in the instance's events and its answer.
public struct MigrationRecord: Sendable, Codable, Equatable, Hashable {
    public enum Mode: String, Sendable, Codable, Hashable {
        /// The guest kept running (kvm: QEMU live migration).
        case live
        /// Stopped on the source, started on the destination.
        case cold
    }

    public enum Outcome: String, Sendable, Codable, Hashable {
        /// Under way (live: the source still owns the instance).
        case migrating
        case moved
        /// Nothing moved: the instance stays where it was.
        case failed
    }

    public var mode: Mode
    public var outcome: Outcome
    public var from: String
    public var to: String
    /// Why it was cold rather than live, or why it failed.
    public var reason: String?
    /// Live only, from the backend's own figures.
    public var figures: MigrationFigures?
    public var at: Date

    public init(
        mode: Mode, outcome: Outcome, from: String, to: String, reason: String? = nil, figures: MigrationFigures? = nil,
        at: Date
    ) {
        self.mode = mode
        self.outcome = outcome
        self.from = from
        self.to = to
        self.reason = reason
        self.figures = figures
        self.at = at
    }
}
