import FlotillaCore
import Foundation

extension Workers {
    /// One instance's move in a drain with `migrate` (docs/decisions/0027-live-migration.md): `live` (the guest kept
    /// running) or `cold` (stopped and started again; docker containers always), `moved`, `failed` (it stayed) or still
    /// `migrating` when the deadline passed, with the reason for a cold move or a failure.
    public struct Move: Codable, Sendable, Equatable {
        public var id: String
        /// `live` or `cold`.
        public var mode: String
        /// `migrating`, `moved` or `failed`.
        public var outcome: String
        /// The worker it moved (or was to move) to.
        public var to: String?
        public var reason: String?
        public init(id: String, mode: String, outcome: String, to: String? = nil, reason: String? = nil) {
            self.id = id
            self.mode = mode
            self.outcome = outcome
            self.to = to
            self.reason = reason
        }

        /// The wire form of one instance's migration record.
        public init(id: String, record: MigrationRecord) {
            self.init(id: id, mode: record.mode.rawValue, outcome: record.outcome.rawValue, to: record.to, reason: record.reason)
        }

        /// The moves of a drain (`DrainOutcome.moves`), ordered by instance id.
        public static func moves(_ records: [String: MigrationRecord]) -> [Move] {
            records.sorted { $0.key < $1.key }.map { Move(id: $0.key, record: $0.value) }
        }
    }
}
