import FlotillaCore

extension SimBackend {
    /// How often a followed sim log looks for new lines.
    static let logPollInterval: Duration = .milliseconds(100)

    /// The sim runs nothing, so it has no output; its log is its own record (ADR 0024): one line per state the
    /// instance entered (`web: created`, `web: running`, ...). A followed log ends when the instance no longer
    /// runs or is deleted. Nonisolated: it only asks the actor for the record.
    public nonisolated func logs(
        id: String, tail: Int, follow: Bool, write: ([UInt8]) async throws -> Void
    ) async throws {
        guard var record = try await logRecord(id) else { throw BackendError.notFound(id) }
        try await Self.write(record.history.suffix(max(tail, 0)), write)
        var seen = record.recorded
        guard follow else { return }
        while record.isRunning {
            try await Task.sleep(for: Self.logPollInterval)
            guard let now = try await logRecord(id) else { return }
            record = now
            try await Self.write(record.history.suffix(min(record.recorded - seen, record.history.count)), write)
            seen = record.recorded
        }
    }

    /// The instance's record, nil once it is deleted.
    private func logRecord(_ id: String) throws(BackendError) -> SimInstance? {
        if let reason = unavailableReason { throw BackendError.unavailable(reason) }
        return instances[id]
    }

    private static func write(_ lines: ArraySlice<String>, _ write: ([UInt8]) async throws -> Void) async throws {
        guard !lines.isEmpty else { return }
        var limiter = LogLineLimiter()
        try await write(limiter.pass(Array(lines.joined(separator: "\n").utf8) + [UInt8(ascii: "\n")]))
    }
}
