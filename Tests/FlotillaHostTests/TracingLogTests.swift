import FlotillaHost
import FlotillaServer
import Foundation
import Logging
import Synchronization
import Testing

/// `--log-format json` and the request id in every log line (ADR 0022), without bootstrapping the process's
/// logging system: each handler gets the serve bootstrap's metadata provider directly.
@Suite("Tracing: JSON log lines and request ids")
struct TracingLogTests {
    /// A JSON handler writing into memory, with the provider `serve` bootstraps.
    static func capture(level: Logger.Level = .trace) -> (Logger, @Sendable () -> [String]) {
        let lines = Mutex<[String]>([])
        let output = JSONLogOutput { line in lines.withLock { $0.append(line) } }
        var logger = Logger(label: "flotilla.test") { label in
            JSONLogHandler(label: label, metadataProvider: Telemetry.metadataProvider(tracing: false), output: output)
        }
        logger.logLevel = level
        return (logger, { lines.withLock { $0 } })
    }

    static func object(_ line: String) throws -> [String: Any] {
        #expect(line.hasSuffix("\n") && !line.dropLast().contains("\n"), "one line per record: \(line)")
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
    }

    @Test("a JSON line has time (RFC 3339, ms, UTC), level, label, message and the metadata as strings")
    func fields() throws {
        let (logger, lines) = Self.capture()
        logger.warning("disk low", metadata: ["free": "12", "nested": ["a": "1"], "list": ["x", "y"]])
        let line = try #require(lines().first)
        let object = try Self.object(line)
        #expect(object["level"] as? String == "warning")
        #expect(object["label"] as? String == "flotilla.test")
        #expect(object["message"] as? String == "disk low")
        #expect(object["free"] as? String == "12")
        #expect(object["nested"] is String && object["list"] is String, "nested values are flattened to strings: \(line)")
        let time = try #require(object["time"] as? String)
        #expect(time.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil, "\(time)")
        let parsed = try #require(try? Date(time, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        #expect(abs(parsed.timeIntervalSinceNow) < 3600)
    }

    @Test("quotes, backslashes, newlines, control characters and unicode survive a round trip; a metadata key cannot replace a fixed field")
    func escaping() throws {
        let (logger, lines) = Self.capture()
        let message = "say \"hi\"\\ then\nnext line\ttab \u{1} end: ünïcødé ✓ 🚀 </script>"
        logger.info("\(message)", metadata: ["path": "/a/\"b\"\n", "message": "not the message", "level": "x"])
        let all = lines()
        #expect(all.count == 1, "a message with newlines is still one line: \(all)")
        let object = try Self.object(try #require(all.first))
        #expect(object["message"] as? String == message)
        #expect(object["path"] as? String == "/a/\"b\"\n")
        #expect(object["level"] as? String == "info")
    }

    @Test("every line written inside a request's scope carries its requestId, whichever logger writes it; none outside")
    func requestIdInEveryLine() async throws {
        let (logger, lines) = Self.capture()
        var component = Logger(label: "flotilla.agent") { label in
            JSONLogHandler(label: label, metadataProvider: Telemetry.metadataProvider(tracing: false), output: .init { _ in })
        }
        component.logLevel = .trace
        logger.info("before")
        await RequestScope.$requestId.withValue("r-abc") {
            logger.info("in the request")
            // A child task inherits the scope.
            await withTaskGroup(of: Void.self) { group in
                group.addTask { logger.debug("in a child task") }
            }
        }
        logger.info("after")
        let objects = try lines().map(Self.object)
        #expect(objects.map { $0["message"] as? String } == ["before", "in the request", "in a child task", "after"])
        #expect(objects.map { $0["requestId"] as? String } == [nil, "r-abc", "r-abc", nil])
    }
}
