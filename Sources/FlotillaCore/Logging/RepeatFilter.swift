public import Foundation

/// Decides which of a repeating failure's log lines are written: the first of each kind at once, then nothing
/// for `window`, then one summary ("... repeated 250 times in 10 s"). Pure: the caller passes the time and writes
/// the lines; a kind is whatever key the caller gives (e.g. the message and the error, without the instance id).
public struct RepeatFilter: Sendable, Equatable {
    /// A summary of the lines held back for one key.
    public struct Summary: Sendable, Equatable {
        public var key: String
        public var count: Int
        public var seconds: TimeInterval
        public init(key: String, count: Int, seconds: TimeInterval) {
            self.key = key
            self.count = count
            self.seconds = seconds
        }
    }

    public var window: TimeInterval
    private var open: [String: (since: Date, held: Int)] = [:]

    public init(window: TimeInterval = 10) {
        self.window = window
    }

    public static func == (a: RepeatFilter, b: RepeatFilter) -> Bool {
        a.window == b.window && a.open.keys == b.open.keys
    }

    /// Whether the line of kind `key` at `now` is written (true) or held back (false). A line of a key whose
    /// window has closed is written, after the summary `flush` returns for it.
    public mutating func admit(_ key: String, now: Date) -> Bool {
        if let entry = open[key], now.timeIntervalSince(entry.since) < window {
            open[key] = (entry.since, entry.held + 1)
            return false
        }
        open[key] = (now, 0)
        return true
    }

    /// The summaries of the windows that have closed by `now` with lines held back; those windows end.
    public mutating func flush(now: Date) -> [Summary] {
        var result: [Summary] = []
        for (key, entry) in open where now.timeIntervalSince(entry.since) >= window {
            if entry.held > 0 {
                result.append(Summary(key: key, count: entry.held, seconds: now.timeIntervalSince(entry.since)))
            }
            open[key] = nil
        }
        return result.sorted { $0.key < $1.key }
    }
}
