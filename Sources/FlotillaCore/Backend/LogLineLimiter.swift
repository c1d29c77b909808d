/// Cuts every line of a byte stream to at most `limit` bytes (ADR 0024): the bytes of a line past the limit are
/// dropped, its newline is kept. Pure and incremental: feed it the stream in pieces of any size.
public struct LogLineLimiter: Sendable {
    public let limit: Int
    /// Bytes of the current (unfinished) line seen so far.
    private var lineLength = 0

    public init(limit: Int = InstanceLogLimits.maxLineBytes) {
        self.limit = limit
    }

    /// The bytes of `piece` to pass on.
    public mutating func pass(_ piece: some Collection<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(piece.count)
        for byte in piece {
            if byte == UInt8(ascii: "\n") {
                lineLength = 0
                out.append(byte)
            } else {
                if lineLength < limit { out.append(byte) }
                lineLength += 1
            }
        }
        return out
    }
}
