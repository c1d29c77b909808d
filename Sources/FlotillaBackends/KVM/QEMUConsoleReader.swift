import FlotillaCore
import Foundation

/// Reads a VM's serial console, the file QEMU appends the guest's console to (ADR 0024): the last lines, then,
/// when following, what the guest writes next, looked for every ``pollInterval`` (a cheap `stat`-sized read)
/// while QEMU runs. Carriage returns are dropped and each line is cut at ``InstanceLogLimits/maxLineBytes``.
struct QEMUConsoleReader: Sendable {
    let path: String

    /// How often a followed console is looked at for new bytes.
    static let pollInterval: Duration = .milliseconds(250)
    /// Bytes read at most at once, and the window the tail is taken from.
    static let window = 4 << 20

    /// Writes the last `tail` lines; when `follow`, then the new bytes until `running` says QEMU no longer runs
    /// (after a last read), the task is cancelled or `write` throws.
    func read(
        tail: Int, follow: Bool, running: @escaping @Sendable () async -> Bool,
        write: ([UInt8]) async throws -> Void
    ) async throws {
        var limiter = LogLineLimiter()
        // One descriptor for the whole read: deleting the VM unlinks the file, and the last read after QEMU stopped
        // still gets every byte it wrote through the descriptor already open.
        let console = ConsoleFile(path: path)
        defer { console.close() }
        let size = console.size()
        let start = size > UInt64(Self.window) ? size - UInt64(Self.window) : 0
        let opening = console.bytes(from: start)
        var offset = start + UInt64(opening.count)
        let last = Self.lastLines(opening.filter { $0 != UInt8(ascii: "\r") }, count: tail)
        if !last.isEmpty { try await write(limiter.pass(last)) }
        guard follow else { return }
        while true {
            let live = await running()
            while true {
                let more = console.bytes(from: offset)
                offset += UInt64(more.count)
                let passed = limiter.pass(more.lazy.filter { $0 != UInt8(ascii: "\r") })
                if !passed.isEmpty { try await write(passed) }
                if more.count < Self.window { break }
            }
            guard live else { return }
            try await Task.sleep(for: Self.pollInterval)
        }
    }

    /// The last `count` lines of `text` (each with its newline; a last line without one gets one).
    static func lastLines(_ text: [UInt8], count: Int) -> [UInt8] {
        guard count > 0, !text.isEmpty else { return [] }
        var end = text.endIndex
        if text.last == UInt8(ascii: "\n") { end -= 1 }
        var start = end
        var found = 0
        while start > text.startIndex {
            if text[start - 1] == UInt8(ascii: "\n") {
                found += 1
                if found == count { break }
            }
            start -= 1
        }
        return Array(text[start..<end]) + [UInt8(ascii: "\n")]
    }
}

/// The console file, opened once it exists and kept open until ``close()`` (not shared between tasks).
private final class ConsoleFile {
    let path: String
    private var handle: FileHandle?

    init(path: String) {
        self.path = path
        handle = FileHandle(forReadingAtPath: path)
    }

    /// The file's size now (0 before it exists).
    func size() -> UInt64 {
        guard let handle = open() else { return 0 }
        return (try? handle.seekToEnd()) ?? 0
    }

    /// At most ``QEMUConsoleReader/window`` bytes from `offset`; none when the file is not there yet or cannot be
    /// read.
    func bytes(from offset: UInt64) -> [UInt8] {
        guard let handle = open() else { return [] }
        do {
            try handle.seek(toOffset: offset)
            return [UInt8](try handle.read(upToCount: QEMUConsoleReader.window) ?? Data())
        } catch {
            return []
        }
    }

    func close() {
        try? handle?.close()
        handle = nil
    }

    private func open() -> FileHandle? {
        if handle == nil { handle = FileHandle(forReadingAtPath: path) }
        return handle
    }
}
