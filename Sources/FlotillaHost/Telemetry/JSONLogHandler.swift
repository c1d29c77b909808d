import Foundation
import Logging
import Synchronization

/// A swift-log handler that writes one JSON object per line: `time` (RFC 3339, UTC, milliseconds), `level`,
/// `label`, `message`, and every metadata value (the logger's, the provider's, the call's) as a string field of
/// its own, nested values flattened to their description. A metadata key named like a fixed field does not
/// replace it. Escaping is Foundation's JSON encoder's (ADR 0022).
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let output: JSONLogOutput

    /// A handler for `label` that writes each line to `output` (standard error by default).
    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil, output: JSONLogOutput = .standardError) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let given = event.metadata { merged.merge(given) { _, new in new } }
        output.write(Self.line(level: event.level, label: label, message: "\(event.message)", metadata: merged, date: Date()))
    }

    /// One line, newline included.
    static func line(level: Logger.Level, label: String, message: String, metadata: Logger.Metadata, date: Date) -> String {
        var fields: [String: String] = [:]
        for (key, value) in metadata { fields[key] = "\(value)" }
        fields["time"] = date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        fields["level"] = level.rawValue
        fields["label"] = label
        fields["message"] = message
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(fields) else { return #"{"message":"unencodable log line"}"# + "\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

/// Where ``JSONLogHandler`` writes: whole lines, one at a time, so lines from concurrent tasks never interleave.
public final class JSONLogOutput: Sendable {
    private let sink: Mutex<@Sendable (String) -> Void>

    /// Lines go to `write`, one call per line, never two at once.
    public init(_ write: @escaping @Sendable (String) -> Void) { self.sink = Mutex(write) }

    /// The process's standard error.
    public static let standardError = JSONLogOutput { line in FileHandle.standardError.write(Data(line.utf8)) }

    func write(_ line: String) { sink.withLock { $0(line) } }
}
