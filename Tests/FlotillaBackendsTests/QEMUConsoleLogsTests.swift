import FlotillaCore
import FlotillaTestSupport
import Foundation
import Testing

@testable import FlotillaBackends

/// The serial console read as a log (no QEMU: a file written by the test stands for the console).
@Suite struct QEMUConsoleLogsTests {
    static func temporaryFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("console-\(UUID().uuidString).log").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func read(_ path: String, tail: Int, follow: Bool = false, running: @escaping @Sendable () async -> Bool = { false })
        async throws -> String
    {
        var out: [UInt8] = []
        try await QEMUConsoleReader(path: path).read(tail: tail, follow: follow, running: running) { out += $0 }
        return String(decoding: out, as: UTF8.self)
    }

    @Test(
        "the tail is the last N lines, carriage returns dropped",
        arguments: [
            ("a\r\nb\r\nc\r\n", 2, "b\nc\n"),
            ("a\nb\nc", 2, "b\nc\n"),
            ("a\nb\nc\n", 10, "a\nb\nc\n"),
            ("a\nb\nc\n", 0, ""),
            ("", 5, ""),
            ("\n\n", 1, "\n"),
        ])
    func tail(_ text: String, _ lines: Int, _ expected: String) async throws {
        let path = try Self.temporaryFile(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try await Self.read(path, tail: lines) == expected)
    }

    @Test("a console file that does not exist (yet) reads as empty")
    func missing() async throws {
        #expect(try await Self.read("/nonexistent/console.log", tail: 10).isEmpty)
    }

    @Test("a line longer than 64 KiB is cut; the next line is whole")
    func longLine() async throws {
        let path = try Self.temporaryFile(String(repeating: "y", count: 100_000) + "\nnext\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let text = try await Self.read(path, tail: 2)
        #expect(text == String(repeating: "y", count: InstanceLogLimits.maxLineBytes) + "\nnext\n")
    }

    @Test("following: what is appended while QEMU runs comes through, and the read ends once it stops")
    func follow() async throws {
        let path = try Self.temporaryFile("boot\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let running = LockedBox(true)
        let seen = LockedBox("")
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await QEMUConsoleReader(path: path).read(tail: 10, follow: true, running: { running.value }) {
                    bytes in seen.withLock { $0 += String(decoding: bytes, as: UTF8.self) }
                }
            }
            try await eventually("the tail") { seen.value == "boot\n" }
            let handle = try #require(FileHandle(forWritingAtPath: path))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data("tick 1\r\n".utf8))
            try await eventually("the appended line") { seen.value == "boot\ntick 1\n" }
            try handle.write(contentsOf: Data("last words\n".utf8))
            try handle.close()
            running.withLock { $0 = false }
            try await group.next()  // Ends by itself once QEMU no longer runs.
        }
        #expect(seen.value == "boot\ntick 1\nlast words\n")
    }

    @Test("following: the last lines QEMU wrote before the VM was deleted (its console file unlinked) still come through")
    func lastLinesOfADeletedVM() async throws {
        let path = try Self.temporaryFile("boot\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        // At the reader's next look QEMU has stopped: it wrote a last line, then the delete removed its folder.
        let text = try await Self.read(path, tail: 10, follow: true) {
            if let handle = FileHandle(forWritingAtPath: path) {
                _ = try? handle.seekToEnd()
                try? handle.write(contentsOf: Data("tick 9\n".utf8))
                try? handle.close()
            }
            try? FileManager.default.removeItem(atPath: path)
            return false
        }
        #expect(text == "boot\ntick 9\n")
    }
}
