/// How `flotilla serve` writes its log lines to standard error (`--log-format`, ADR 0022).
public enum LogFormat: String, Sendable, CaseIterable {
    /// swift-log's line: `time level label: metadata message`, as before issue 15.
    case text
    /// One JSON object per line (``JSONLogHandler``), for log shippers.
    case json
}
