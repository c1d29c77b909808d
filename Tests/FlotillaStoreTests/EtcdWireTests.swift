import FlotillaCore
import Foundation
import NIOCore
import Testing

@testable import FlotillaStore

/// The pure parts of the etcd adapter: prefix ranges, TTL rounding, compare and op mapping, event mapping and
/// the newline-delimited splitter of watch streams.
@Suite("etcd wire mapping")
struct EtcdWireTests {
    @Test(
        arguments: [
            ("a", [0x62]),
            ("/hosts/", Array("/hosts0".utf8)),
            ("é", [0xC3, 0xAA]),
            ("a\u{10FFFF}", [0x61, 0xF4, 0x8F, 0xBF, 0xC0]),
            ("", [0x00]),
        ] as [(String, [UInt8])])
    func prefixEndIncrementsTheLastByte(_ prefix: String, _ end: [UInt8]) {
        #expect(Array(EtcdWire.prefixEnd(prefix)) == end)
    }

    @Test func emptyPrefixMeansEveryKey() {
        let range = EtcdWire.rangeRequest(prefix: "")
        #expect(range.key == Data([0]))
        #expect(range.range_end == Data([0]))
    }

    @Test(arguments: [
        (Duration.seconds(5), Int64(5)),
        (.milliseconds(1500), 2),
        (.milliseconds(1), 1),
        (.nanoseconds(1), 1),
        (.seconds(60), 60),
        (.zero, 0),
    ])
    func ttlRoundsUpToWholeSeconds(_ ttl: Duration, _ seconds: Int64) {
        #expect(EtcdWire.ttlSeconds(ttl) == seconds)
    }

    @Test func comparesMapToEtcdTargetsAndResults() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        func json(_ compare: Compare) throws -> String {
            String(decoding: try encoder.encode(EtcdWire.compare(compare)), as: UTF8.self)
        }
        #expect(try json(.unchanged("k", since: 7)) == #"{"key":"aw==","mod_revision":"7","result":"EQUAL","target":"MOD"}"#)
        #expect(try json(.absent("k")) == #"{"create_revision":"0","key":"aw==","result":"EQUAL","target":"CREATE"}"#)
        #expect(
            try json(Compare(key: "k", target: .version(2), op: .greater))
                == #"{"key":"aw==","result":"GREATER","target":"VERSION","version":"2"}"#)
        #expect(
            try json(Compare(key: "k", target: .value(Data("v".utf8)), op: .notEqual))
                == #"{"key":"aw==","result":"NOT_EQUAL","target":"VALUE","value":"dg=="}"#)
        #expect(
            try json(Compare(key: "k", target: .modRevision(3), op: .less))
                == #"{"key":"aw==","mod_revision":"3","result":"LESS","target":"MOD"}"#)
    }

    @Test func opsMapToRequestOps() {
        #expect(EtcdWire.requestOp(.deletePrefix("p/")).request_delete_range?.range_end == Data("p0".utf8))
        #expect(EtcdWire.requestOp(.delete(key: "k")).request_delete_range?.range_end == nil)
        #expect(EtcdWire.requestOp(.range(prefix: "p/")).request_range?.range_end == Data("p0".utf8))
        #expect(EtcdWire.requestOp(.get(key: "k")).request_range?.range_end == nil)
        #expect(EtcdWire.requestOp(.put(key: "k", value: Data(), lease: LeaseID(9))).request_put?.lease?.value == 9)
        #expect(!EtcdWire.writes(.get(key: "k")) && !EtcdWire.writes(.range(prefix: "")))
        #expect(EtcdWire.writes(.put("k", Data())) && EtcdWire.writes(.delete(key: "k")) && EtcdWire.writes(.deletePrefix("")))
    }

    /// A watch message as etcd 3.4's gateway sends it: int64s as strings, PUT omitted as the default type.
    @Test func watchMessagesMapToEvents() throws {
        let message = #"""
            {"result":{"header":{"revision":"9"},"events":[{"kv":{"key":"Zm9v","create_revision":"2","mod_revision":"8","version":"3","value":"YmFy","lease":"77"}},{"type":"DELETE","kv":{"key":"Zm9v","mod_revision":"9"}}]}}
            """#
        let decoded = try JSONDecoder().decode(EtcdWire.StreamMessage<EtcdWire.WatchResponse>.self, from: Data(message.utf8))
        let events = try (decoded.result?.events ?? []).map { event throws(EtcdError) in try EtcdWire.watchEvent(event) }
        #expect(
            events == [
                WatchEvent(
                    kind: .put,
                    kv: KeyValue(key: "foo", value: Data("bar".utf8), createRevision: 2, modRevision: 8, version: 3, lease: LeaseID(77))),
                WatchEvent(kind: .delete, kv: KeyValue(key: "foo", value: Data(), createRevision: 0, modRevision: 9, version: 0)),
            ])
    }

    @Test func errorsMapToStoreErrors() {
        let lease = LeaseID(5)
        let notFound = EtcdError.server(endpoint: "e", code: 5, message: "etcdserver: requested lease not found")
        #expect(notFound.storeError(lease: lease) == .leaseNotFound(lease))
        #expect(EtcdError.compacted(requested: 3, compactRevision: 7).storeError() == .compacted(requested: 3, oldest: 7))
        let duplicate = EtcdError.server(endpoint: "e", code: 3, message: "etcdserver: duplicate key given in txn request")
        #expect(duplicate.storeError() == .invalid("etcdserver: duplicate key given in txn request"))
        for error in [
            EtcdError.connect(endpoint: "e", cause: "refused"), .noAnswer(endpoint: "e", cause: "timeout"),
            .server(endpoint: "e", code: 14, message: "etcdserver: no leader"),
        ] {
            guard case .unavailable = error.storeError() else {
                Issue.record("\(error) should be unavailable")
                continue
            }
        }
    }

    @Test func splitterCutsMessagesAcrossChunks() throws {
        var splitter = NewlineDelimitedSplitter(limit: 16)
        #expect(try splitter.append(ByteBuffer(string: "{\"a\":")).isEmpty)
        let first = try splitter.append(ByteBuffer(string: "1}\n{\"b\":2}\n\n{\"c\""))
        #expect(first.map { String(buffer: $0) } == [#"{"a":1}"#, #"{"b":2}"#])
        let second = try splitter.append(ByteBuffer(string: ":3}\n"))
        #expect(second.map { String(buffer: $0) } == [#"{"c":3}"#])
    }

    @Test func splitterRefusesAMessageOverItsLimit() throws {
        var splitter = NewlineDelimitedSplitter(limit: 8)
        #expect(throws: NewlineDelimitedSplitter.MessageTooLarge.self) {
            _ = try splitter.append(ByteBuffer(string: "0123456789"))
        }
        var complete = NewlineDelimitedSplitter(limit: 8)
        #expect(throws: NewlineDelimitedSplitter.MessageTooLarge.self) {
            _ = try complete.append(ByteBuffer(string: "0123456789\n"))
        }
    }
}
