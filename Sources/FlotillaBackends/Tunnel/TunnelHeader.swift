import NIOCore

/// The tunnel's own short exchange before the bytes of QEMU flow (docs/decisions/0027-live-migration.md): the source
/// sends one line, `FLOTILLA-TUNNEL-1 <token>\n`; the destination answers `OK\n` once it is connected to its QEMU
/// socket (or `UNAVAILABLE\n` when it cannot be), and closes the connection without a word for a wrong token.
enum TunnelHeader {
    static let prefix = "FLOTILLA-TUNNEL-1 "
    /// The longest header line read, newline included; a longer one is refused unread.
    static let lineLimit = 512
    /// The longest answer line read.
    static let answerLimit = 64
    /// The most bytes either end keeps while the splice is being set up (connections do not read then, except to
    /// drain an input that ended, which holds at most a socket buffer).
    static let earlyLimit = 16 << 20
    static let accepted = "OK"
    static let unavailable = "UNAVAILABLE"

    /// The header line for `token`, newline included.
    static func line(token: String) -> String { prefix + token + "\n" }

    /// Why `token` cannot be sent in a header, nil when it can (printable ASCII without spaces, and short).
    static func problem(with token: String) -> String? {
        if token.isEmpty { return "the migration token is empty" }
        if prefix.utf8.count + token.utf8.count + 1 > lineLimit {
            return "the migration token is longer than \(lineLimit - prefix.utf8.count - 1) bytes"
        }
        if !token.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) { return "the migration token holds a space or a non-printable character" }
        return nil
    }

    /// Whether `line` (without its newline) is the header for `token`. Takes the same time wherever the two differ.
    static func matches(_ line: ByteBufferView, token: String) -> Bool {
        let expected = Array(Self.line(token: token).utf8.dropLast())
        let given = Array(line)
        var difference: UInt8 = expected.count == given.count ? 0 : 1
        for index in expected.indices {
            difference |= expected[index] ^ (index < given.count ? given[index] : 0)
        }
        return difference == 0
    }

    /// Splits the first line off `buffer`: the line without its newline and what followed it; nil while no newline
    /// arrived.
    static func splitLine(_ buffer: inout ByteBuffer) -> (line: ByteBuffer, rest: ByteBuffer)? {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let length = newline - buffer.readableBytesView.startIndex
        guard let line = buffer.readSlice(length: length) else { return nil }
        buffer.moveReaderIndex(forwardBy: 1)
        return (line, buffer.slice())
    }
}
