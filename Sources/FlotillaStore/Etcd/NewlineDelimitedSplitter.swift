import NIOCore

/// Cuts a byte stream into newline-delimited messages as chunks arrive, refusing any message longer than a
/// limit (so a misbehaving peer cannot make us buffer without bound).
struct NewlineDelimitedSplitter: Sendable {
    struct MessageTooLarge: Error, CustomStringConvertible {
        let limit: Int
        var description: String { "a streamed message is larger than \(limit) bytes" }
    }

    let limit: Int
    private var buffer = ByteBuffer()

    init(limit: Int) { self.limit = limit }

    /// Appends `chunk` and returns every message it completed (without its newline; blank lines dropped).
    mutating func append(_ chunk: ByteBuffer) throws(MessageTooLarge) -> [ByteBuffer] {
        var chunk = chunk
        buffer.writeBuffer(&chunk)
        var messages: [ByteBuffer] = []
        while let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - buffer.readerIndex
            guard length <= limit else { throw MessageTooLarge(limit: limit) }
            guard let message = buffer.readSlice(length: length) else {
                preconditionFailure("the newline was found within the readable bytes")
            }
            buffer.moveReaderIndex(forwardBy: 1)
            if message.readableBytesView.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") }) {
                messages.append(message)
            }
        }
        guard buffer.readableBytes <= limit else { throw MessageTooLarge(limit: limit) }
        buffer.discardReadBytes()
        return messages
    }

    /// Forgets a partial message (when the stream it came from is gone).
    mutating func reset() { buffer.clear() }
}
