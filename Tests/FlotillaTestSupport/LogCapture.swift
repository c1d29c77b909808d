import Logging
import Synchronization

/// A log handler that keeps every record in memory, for tests that count or read what a host logged.
public final class LogCapture: Sendable {
    public struct Record: Sendable, Equatable {
        public var level: Logger.Level
        public var label: String
        public var message: String
        /// The record's metadata (the handler's and the call's), as text.
        public var details: String = ""
    }

    private let records = Mutex<[Record]>([])

    public init() {}

    /// A logger whose records land here, at `level` and above.
    public func logger(label: String = "flotilla.test", level: Logger.Level = .info) -> Logger {
        var logger = Logger(label: label) { label in Handler(label: label, capture: self) }
        logger.logLevel = level
        return logger
    }

    /// Every record so far.
    public var all: [Record] { records.withLock { $0 } }

    /// Every record so far, a line each ("warning flotilla.agent: message key=value").
    public var text: String {
        all.map { "\($0.level) \($0.label): \($0.message)\($0.details.isEmpty ? "" : " " + $0.details)" }.joined(separator: "\n")
    }

    /// Forgets every record so far.
    public func reset() { records.withLock { $0.removeAll() } }

    fileprivate func append(_ record: Record) { records.withLock { $0.append(record) } }

    private struct Handler: LogHandler {
        let label: String
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            let details = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            capture.append(Record(level: event.level, label: label, message: "\(event.message)", details: details))
        }
    }
}
