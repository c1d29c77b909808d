/// Splits the Docker Engine's multiplexed log stream (a container without a TTY) into its payloads.
///
/// Each frame is an 8-byte header, `[stream, 0, 0, 0, size as UInt32 big-endian]`, then `size` bytes of
/// stream 1 (stdout) or 2 (stderr). Pure and incremental: a header or a payload may be split over any
/// number of pieces; a payload is passed on as it arrives, never held whole, so a large frame costs no memory.
struct DockerLogsDemultiplexer: Sendable {
    enum Stream: UInt8, Sendable, Equatable {
        case stdin = 0, stdout = 1, stderr = 2
    }

    /// Payload bytes of one stream.
    struct Piece: Sendable, Equatable {
        var stream: Stream
        var bytes: [UInt8]
    }

    /// The stream is not multiplexed (or is corrupt): a header with an unknown stream or non-zero padding.
    struct BadHeader: Error, Sendable, Equatable, CustomStringConvertible {
        var header: [UInt8]
        var description: String { "the docker log stream has a frame header Flotilla cannot read: \(header)" }
    }

    static let headerLength = 8

    private var header: [UInt8] = []
    private var stream: Stream = .stdout
    private var remaining = 0

    /// True when the bytes fed so far end inside a frame (its header or its payload).
    var isMidFrame: Bool { !header.isEmpty || remaining > 0 }

    /// The payloads in `bytes`, in order; consecutive bytes of one frame come as one piece.
    mutating func feed(_ bytes: some Collection<UInt8>) throws(BadHeader) -> [Piece] {
        var pieces: [Piece] = []
        var index = bytes.startIndex
        while index != bytes.endIndex {
            if remaining > 0 {
                let end = bytes.index(index, offsetBy: remaining, limitedBy: bytes.endIndex) ?? bytes.endIndex
                let payload = Array(bytes[index..<end])
                remaining -= payload.count
                index = end
                pieces.append(Piece(stream: stream, bytes: payload))
                continue
            }
            header.append(bytes[index])
            index = bytes.index(after: index)
            guard header.count == Self.headerLength else { continue }
            guard let kind = Stream(rawValue: header[0]), header[1] == 0, header[2] == 0, header[3] == 0 else {
                throw BadHeader(header: header)
            }
            stream = kind
            remaining = header[4...].reduce(0) { $0 << 8 | Int($1) }
            header.removeAll(keepingCapacity: true)
        }
        return pieces
    }
}
