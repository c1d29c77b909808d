import Testing

@testable import FlotillaBackends

/// The Engine API's multiplexed log stream (8-byte headers) split into stdout and stderr, however the bytes are cut.
@Suite struct DockerLogsDemultiplexerTests {
    typealias Piece = DockerLogsDemultiplexer.Piece

    static func frame(_ stream: UInt8, _ text: String) -> [UInt8] {
        let payload: [UInt8] = Array(text.utf8)
        let n = UInt32(payload.count)
        let size: [UInt8] = [UInt8(n >> 24), UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff)]
        let header: [UInt8] = [stream, 0, 0, 0] + size
        return header + payload
    }

    /// Feeds `chunks` one after the other; returns the text of each stream (pieces of one stream joined).
    static func run(_ chunks: [[UInt8]]) throws -> (stdout: String, stderr: String, order: [DockerLogsDemultiplexer.Stream], midFrame: Bool)
    {
        var demux = DockerLogsDemultiplexer()
        var out: [UInt8] = []
        var err: [UInt8] = []
        var order: [DockerLogsDemultiplexer.Stream] = []
        for chunk in chunks {
            for piece in try demux.feed(chunk) {
                if piece.stream == .stderr { err += piece.bytes } else { out += piece.bytes }
                if order.last != piece.stream { order.append(piece.stream) }
            }
        }
        return (String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self), order, demux.isMidFrame)
    }

    static let stream: [UInt8] = {
        var bytes: [UInt8] = frame(1, "line 1\n")
        bytes += frame(2, "oops\n")
        bytes += frame(1, "line 2\n")
        return bytes
    }()

    /// The same stream, cut in different places.
    static let cutStreams: [(String, [[UInt8]])] = {
        let s = stream
        var cases: [(String, [[UInt8]])] = [("whole", [s])]
        cases.append(("byte by byte", s.map { [$0] }))
        cases.append(("header split after 3 bytes", [Array(s[0..<3]), Array(s[3...])]))
        cases.append(("cut inside a payload", [Array(s[0..<11]), Array(s[11...])]))
        cases.append(("cut between header and payload", [Array(s[0..<8]), Array(s[8...])]))
        cases.append(("cut inside the second header", [Array(s[0..<17]), Array(s[17...])]))
        cases.append(("empty pieces between", [[], Array(s[0..<20]), [], Array(s[20...]), []]))
        return cases
    }()

    @Test("stdout and stderr come apart, in order, whatever the cut", arguments: cutStreams)
    func cuts(_ name: String, _ chunks: [[UInt8]]) throws {
        let result = try Self.run(chunks)
        #expect(result.stdout == "line 1\nline 2\n", "\(name)")
        #expect(result.stderr == "oops\n", "\(name)")
        #expect(result.order == [.stdout, .stderr, .stdout], "\(name)")
        #expect(!result.midFrame, "\(name)")
    }

    @Test("a stream that stops inside a frame says so; what arrived of the payload is passed on")
    func partialFrame() throws {
        let full = Self.frame(1, "hello world\n")
        let result = try Self.run([Array(full[0..<13])])
        #expect(result.stdout == "hello")
        #expect(result.midFrame)
        let headerOnly = try Self.run([Array(full[0..<5])])
        #expect(headerOnly.stdout.isEmpty)
        #expect(headerOnly.midFrame)
    }

    @Test("a frame larger than any buffer is passed on in pieces as it arrives, never held whole")
    func oversizeFrame() throws {
        let big = String(repeating: "x", count: 1 << 20) + "\n"
        let bytes = Self.frame(2, big) + Self.frame(1, "after\n")
        var demux = DockerLogsDemultiplexer()
        var largest = 0
        var stderr = 0
        var stdout: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let end = min(index + 16_384, bytes.count)
            for piece in try demux.feed(bytes[index..<end]) {
                largest = max(largest, piece.bytes.count)
                if piece.stream == .stderr { stderr += piece.bytes.count } else { stdout += piece.bytes }
            }
            index = end
        }
        #expect(stderr == big.utf8.count)
        #expect(largest <= 16_384)
        #expect(String(decoding: stdout, as: UTF8.self) == "after\n")
    }

    @Test(
        "a header that is not the multiplexed format is refused",
        arguments: [
            [UInt8(7), 0, 0, 0, 0, 0, 0, 1, 65],  // unknown stream
            [UInt8(1), 1, 0, 0, 0, 0, 0, 1, 65],  // padding not zero
            Array("plain text from a tty\n".utf8),
        ])
    func badHeader(_ bytes: [UInt8]) {
        #expect(throws: DockerLogsDemultiplexer.BadHeader.self) {
            var demux = DockerLogsDemultiplexer()
            _ = try demux.feed(bytes)
        }
    }

    @Test("an empty frame yields nothing and the next frame still parses")
    func emptyFrame() throws {
        let result = try Self.run([Self.frame(1, "") + Self.frame(2, "e\n")])
        #expect(result.stdout.isEmpty)
        #expect(result.stderr == "e\n")
    }
}
