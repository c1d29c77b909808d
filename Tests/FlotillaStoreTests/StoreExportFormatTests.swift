import FlotillaCore
import FlotillaStore
import Foundation
import Testing

/// The export format itself (docs/store-export.md), without a store: the exact bytes of a small export, reading
/// back what was written, and how an import cuts keys into transactions.
@Suite("Store export: the format")
struct StoreExportFormatTests {
    static let exportedAt = Date(timeIntervalSince1970: 1_767_323_045)  // 2026-01-02T03:04:05Z
    static let kvs = [
        KeyValue(key: "/a", value: Data("hi".utf8), createRevision: 2, modRevision: 3, version: 2),
        KeyValue(key: "/b", value: Data([0xFF, 0x00]), createRevision: 4, modRevision: 4, version: 1, lease: LeaseID(5)),
    ]

    @Test("a small export, byte for byte: header, one line per key in key order, trailer with the count and the SHA-256")
    func exactBytes() throws {
        let data = try StoreExport.encode(RangeResult(kvs: Self.kvs, revision: 7), source: "sqlite", exportedAt: Self.exportedAt)
        let expected = """
            {"exported_at":"2026-01-02T03:04:05Z","format":"flotilla-store-export","keys":2,"revision":7,"source":"sqlite","version":1}
            {"create_revision":2,"key":"/a","mod_revision":3,"value":"aGk=","version":2}
            {"create_revision":4,"key":"/b","lease":5,"mod_revision":4,"value":"/wA=","version":1}
            {"end":true,"keys":2,"sha256":"69b69ef48c38b6d1365621d1b814f828fa11f47f2bd28ec2eac6da56927128e5"}

            """
        #expect(String(decoding: data, as: UTF8.self) == expected)
    }

    @Test(
        "what is written reads back the same: keys, values (any bytes), revisions, versions, leases, header",
        arguments: [
            [KeyValue](),
            StoreExportFormatTests.kvs,
            [
                KeyValue(key: "/", value: Data(), createRevision: 2, modRevision: 2, version: 1),
                KeyValue(
                    key: "/line\nbreak \"quoted\"", value: Data((0...255).map(UInt8.init)), createRevision: 3, modRevision: 9, version: 4),
                KeyValue(key: "/ünï/名前", value: Data("{\"json\": [1, 2]}".utf8), createRevision: 5, modRevision: 5, version: 1),
                KeyValue(
                    key: "/ünï/😀", value: Data(repeating: 0x0A, count: 3), createRevision: 6, modRevision: 6, version: 1,
                    lease: LeaseID(Int64.max)),
            ],
        ])
    func readsBack(_ kvs: [KeyValue]) throws {
        let data = try StoreExport.encode(RangeResult(kvs: kvs, revision: 42), source: "etcd", exportedAt: Self.exportedAt)
        let contents = try StoreExport.parse(data)
        #expect(contents.kvs == kvs)
        #expect(
            contents.header == StoreExportHeader(revision: 42, source: "etcd", exportedAt: Self.exportedAt, keys: kvs.count))
        #expect(contents.leasedKeys == kvs.count(where: { $0.lease != nil }))
        // One line per key, plus the header and the trailer: no key or value breaks a line.
        #expect(data.count(where: { $0 == 0x0A }) == kvs.count + 2)
    }

    @Test(
        "an import writes at most 100 keys and about 1 MiB per transaction, in key order; a larger key goes alone",
        arguments: [
            (keys: 0, valueBytes: 1, expected: [Int]()),
            (keys: 1, valueBytes: 1, expected: [1]),
            (keys: 100, valueBytes: 1, expected: [100]),
            (keys: 101, valueBytes: 1, expected: [100, 1]),
            (keys: 250, valueBytes: 10, expected: [100, 100, 50]),
            (keys: 5, valueBytes: 300_000, expected: [3, 2]),
            (keys: 3, valueBytes: 2_000_000, expected: [1, 1, 1]),
        ])
    func batches(keys: Int, valueBytes: Int, expected: [Int]) {
        let kvs = (0..<keys).map { i in
            KeyValue(
                key: String(format: "/k/%04d", i), value: Data(repeating: 0x61, count: valueBytes), createRevision: 2, modRevision: 2,
                version: 1)
        }
        let batches = StoreImport.batches(kvs)
        #expect(batches.map(\.count) == expected)
        #expect(batches.flatMap { $0 } == kvs)
    }
}
