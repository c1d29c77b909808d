import FlotillaCore
import Foundation
import Logging
import Synchronization

/// A logger for failures that repeat: the first line of each kind is written, the repeats are counted and
/// summarised once the window closes ("backend action failed ... repeated 250 times in 10 s"), so an outage of a
/// backend or the store writes a few lines, not hundreds a second. ``RepeatFilter`` decides.
public final class CalmLogger: Sendable {
    private let logger: Logger
    private let clock: WallClock
    private let filter: Mutex<RepeatFilter>

    public init(_ logger: Logger, window: TimeInterval = 10, clock: WallClock = .system) {
        self.logger = logger
        self.clock = clock
        self.filter = Mutex(RepeatFilter(window: window))
    }

    /// Logs `message` unless a line of the same `kind` was logged within the window.
    public func warning(_ message: String, kind: String, metadata: Logger.Metadata = [:]) {
        flush()
        let time = clock.now
        guard filter.withLock({ $0.admit("\(message)|\(kind)", now: time) }) else { return }
        logger.warning("\(message)", metadata: metadata)
    }

    /// Writes the summaries of the windows that have closed.
    public func flush() {
        let time = clock.now
        for summary in filter.withLock({ $0.flush(now: time) }) {
            let message = summary.key.split(separator: "|", maxSplits: 1).first.map(String.init) ?? summary.key
            logger.warning(
                "\(message) (repeated \(summary.count) times in \(Int(summary.seconds.rounded())) s)",
                metadata: ["kind": "\(summary.key.dropFirst(message.count + 1))"])
        }
    }
}
