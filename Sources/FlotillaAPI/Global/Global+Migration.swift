import FlotillaCore
import Foundation

extension Global {
    /// The last migration of an instance (`migration` of ``VM``; docs/decisions/0027-live-migration.md): how it
    /// moved (`live`: the guest kept running; `cold`: stopped and started again, docker containers always), how it
    /// ended, between which hosts, and why it was cold or failed. Absent from a VM that never moved.
    public struct Migration: Codable, Sendable, Equatable {
        /// What a live migration measured (QEMU's own figures).
        public struct Figures: Codable, Sendable, Equatable {
            public var totalMs: Int64
            /// How long the guest was paused at the switch.
            public var downtimeMs: Int64
            /// How long mirroring the disks took before memory moved.
            public var diskMs: Int64
            public var memoryBytes: Int64
            public var diskBytes: Int64
            enum CodingKeys: String, CodingKey {
                case totalMs = "total_ms"
                case downtimeMs = "downtime_ms"
                case diskMs = "disk_ms"
                case memoryBytes = "memory_bytes"
                case diskBytes = "disk_bytes"
            }
            public init(totalMs: Int64, downtimeMs: Int64, diskMs: Int64 = 0, memoryBytes: Int64 = 0, diskBytes: Int64 = 0) {
                self.totalMs = totalMs
                self.downtimeMs = downtimeMs
                self.diskMs = diskMs
                self.memoryBytes = memoryBytes
                self.diskBytes = diskBytes
            }
        }
        /// `live` or `cold`.
        public var mode: String
        /// `migrating`, `moved` or `failed` (nothing moved: the instance stayed where it was).
        public var outcome: String
        /// The host it moved (or was to move) from, and to.
        public var from: String
        public var to: String
        /// Why the move was cold rather than live, or why it failed.
        public var reason: String?
        /// Live moves only.
        public var figures: Figures?
        public var at: Date
        public init(
            mode: String, outcome: String, from: String, to: String, reason: String? = nil, figures: Figures? = nil, at: Date
        ) {
            self.mode = mode
            self.outcome = outcome
            self.from = from
            self.to = to
            self.reason = reason
            self.figures = figures
            self.at = at
        }

        /// The wire form of an instance's ``Instance/lastMigration``.
        public init(_ record: MigrationRecord) {
            self.init(
                mode: record.mode.rawValue, outcome: record.outcome.rawValue, from: record.from, to: record.to,
                reason: record.reason,
                figures: record.figures.map {
                    Figures(
                        totalMs: $0.totalMilliseconds, downtimeMs: $0.downtimeMilliseconds, diskMs: $0.diskMilliseconds,
                        memoryBytes: $0.memoryBytes, diskBytes: $0.diskBytes)
                }, at: record.at)
        }
    }
}
