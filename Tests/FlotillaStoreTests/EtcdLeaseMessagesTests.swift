import Testing

@testable import FlotillaStore

/// The two protobuf messages of etcd's lease stream, written by hand (docs/decisions/0034-heartbeats-at-scale.md).
@Suite("etcd lease stream messages")
struct EtcdLeaseMessagesTests {
    struct RequestRow: Sendable, CustomTestStringConvertible {
        var id: Int64
        var bytes: [UInt8]
        var testDescription: String { "lease \(id)" }
    }

    static let requests: [RequestRow] = [
        RequestRow(id: 1, bytes: [0x08, 0x01]),
        RequestRow(id: 127, bytes: [0x08, 0x7F]),
        RequestRow(id: 300, bytes: [0x08, 0xAC, 0x02]),
        // etcd's lease IDs use the whole int64: a large one takes nine bytes, a negative one ten.
        RequestRow(id: 0x694d_8f2a_1c3b_0e11, bytes: [0x08, 0x91, 0x9C, 0xEC, 0xE1, 0xA1, 0xE5, 0xE3, 0xA6, 0x69]),
        RequestRow(id: -1, bytes: [0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
    ]

    @Test("a renewal request is field 1 as a varint", arguments: requests)
    func request(_ row: RequestRow) throws {
        #expect(EtcdLeaseMessages.request(row.id) == row.bytes)
        // Read back as etcd would: the one field, the same id.
        var read: Int64?
        try EtcdLeaseMessages.fields(row.bytes) { field, value in
            if field == 1, case .varint(let v) = value { read = Int64(bitPattern: v) }
        }
        #expect(read == row.id)
    }

    struct AnswerRow: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: [UInt8]
        var answer: EtcdLeaseMessages.Answer?
        var testDescription: String { name }
    }

    /// A header: cluster_id 5 (field 1), member_id 7 (2), revision 9 (3), raft_term 4 (4).
    static let header: [UInt8] = [0x0A, 0x08, 0x08, 0x05, 0x10, 0x07, 0x18, 0x09, 0x20, 0x04]

    static let answers: [AnswerRow] = [
        AnswerRow(
            name: "header, ID and TTL", bytes: header + [0x10, 0xAC, 0x02, 0x18, 0x03],
            answer: .init(id: 300, ttl: 3, raftTerm: 4)),
        AnswerRow(name: "a gone lease: TTL omitted (0)", bytes: header + [0x10, 0x2A], answer: .init(id: 42, ttl: 0, raftTerm: 4)),
        AnswerRow(
            name: "a gone lease: TTL -1", bytes: [0x10, 0x2A] + [0x18] + Array(repeating: 0xFF, count: 9) + [0x01],
            answer: .init(id: 42, ttl: -1, raftTerm: 0)),
        AnswerRow(
            name: "unknown fields of every wire type are skipped",
            bytes: [0x10, 0x05, 0x21] + Array(repeating: 0, count: 8) + [0x2D, 0, 0, 0, 0, 0x32, 0x02, 0xAA, 0xBB, 0x18, 0x07],
            answer: .init(id: 5, ttl: 7, raftTerm: 0)),
        AnswerRow(name: "a varint cut short", bytes: [0x10, 0xAC], answer: nil),
        AnswerRow(name: "a length past the end", bytes: [0x0A, 0x09, 0x08, 0x05], answer: nil),
        AnswerRow(name: "a fixed field past the end", bytes: [0x21, 0x00, 0x00], answer: nil),
        AnswerRow(name: "wire type 3 (groups) is not etcd's", bytes: [0x0B], answer: nil),
    ]

    @Test("an answer is read for its lease, TTL and Raft term; a malformed one is an error", arguments: answers)
    func answer(_ row: AnswerRow) {
        if let expected = row.answer {
            #expect((try? EtcdLeaseMessages.answer(row.bytes)) == expected)
        } else {
            #expect(throws: EtcdLeaseMessages.Malformed.self) { try EtcdLeaseMessages.answer(row.bytes) }
        }
    }
}
