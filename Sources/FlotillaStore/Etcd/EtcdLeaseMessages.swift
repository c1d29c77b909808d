import GRPCCore

/// etcd's `LeaseKeepAliveRequest { int64 ID = 1; }` and `LeaseKeepAliveResponse { ResponseHeader header = 1;
/// int64 ID = 2; int64 TTL = 3; }` (with `ResponseHeader { ...; uint64 raft_term = 4; }`) in protobuf's wire format,
/// written out by hand: the lease stream needs these two messages only (docs/decisions/0034-heartbeats-at-scale.md).
enum EtcdLeaseMessages {
    /// One renewal's answer: the lease, its TTL in seconds (0 or less: the lease is gone), the Raft term it came in.
    struct Answer: Sendable, Equatable {
        var id: Int64
        var ttl: Int64
        var raftTerm: UInt64
    }

    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    /// The request for `id`: field 1, varint.
    static func request(_ id: Int64) -> [UInt8] {
        var bytes: [UInt8] = [0x08]
        appendVarint(UInt64(bitPattern: id), to: &bytes)
        return bytes
    }

    static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// Decodes an answer; fields it does not know are skipped, as protobuf requires.
    static func answer(_ bytes: some Collection<UInt8>) throws -> Answer {
        var answer = Answer(id: 0, ttl: 0, raftTerm: 0)
        try fields(Array(bytes)) { field, value in
            switch (field, value) {
            case (1, .bytes(let header)):
                try fields(header) { field, value in
                    if field == 4, case .varint(let term) = value { answer.raftTerm = term }
                }
            case (2, .varint(let id)): answer.id = Int64(bitPattern: id)
            case (3, .varint(let ttl)): answer.ttl = Int64(bitPattern: ttl)
            default: break
            }
        }
        return answer
    }

    enum Value {
        case varint(UInt64)
        case bytes([UInt8])
        case fixed
    }

    /// Calls `body` with each field's number and value.
    static func fields(_ bytes: [UInt8], _ body: (Int, Value) throws -> Void) throws {
        var index = 0
        func varint() throws -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard index < bytes.count, shift < 64 else { throw Malformed(description: "a varint runs past the message") }
                let byte = bytes[index]
                index += 1
                result |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return result }
                shift += 7
            }
        }
        while index < bytes.count {
            let key = try varint()
            let field = Int(key >> 3)
            switch key & 7 {
            case 0: try body(field, .varint(try varint()))
            case 1, 5:
                let width = key & 7 == 1 ? 8 : 4
                guard index + width <= bytes.count else { throw Malformed(description: "a fixed field runs past the message") }
                index += width
                try body(field, .fixed)
            case 2:
                let length = try varint()
                guard length <= UInt64(bytes.count - index) else { throw Malformed(description: "a field's length runs past the message") }
                let end = index + Int(length)
                try body(field, .bytes(Array(bytes[index..<end])))
                index = end
            default: throw Malformed(description: "wire type \(key & 7) is not one etcd sends")
            }
        }
    }

    /// GRPCCore's coders for the two messages.
    struct RequestSerializer: MessageSerializer {
        func serialize<Bytes: GRPCContiguousBytes>(_ message: Int64) throws -> Bytes { Bytes(request(message)) }
    }

    struct AnswerDeserializer: MessageDeserializer {
        func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> Answer {
            try serializedMessageBytes.withUnsafeBytes { try answer($0) }
        }
    }
}
