import FlotillaCore
import FlotillaStore
import FlotillaTestSupport
import Foundation
import Testing

/// A store exported to a file and imported into another store, of the same kind or another: the same keys with
/// the same values, leased keys left out and counted, revisions new.
@Suite("Store export: round trips between stores", .timeLimit(.minutes(3)))
struct StoreExportRoundTripTests {
    @Test("SQLite to a file to SQLite: every key and value; versions and revisions start anew; leased keys left out and counted")
    func sqliteToSQLite() async throws {
        try await FixtureStack.with { stack in
            let dir = try await stack.temporaryDirectory("roundtrip")
            let source = try await Self.sqlite(stack)
            let expected = try await Self.fill(source)
            let atExport = try await source.range(prefix: "")
            let header = try await StoreExport.write(from: source, to: dir + "/store.jsonl")
            #expect(header.revision == atExport.revision && header.keys == atExport.kvs.count && header.source == "sqlite")
            let contents = try StoreExport.read(dir + "/store.jsonl")
            #expect(contents.kvs == atExport.kvs, "the file holds the source's keys as they were, revisions and leases too")

            let target = try await Self.sqlite(stack)
            let report = try await StoreImport.run(dir + "/store.jsonl", into: target)
            #expect(report.written == expected.count && report.skippedLeased == Self.leasedKeys.count)
            #expect(report.header == header)
            let imported = try await target.range(prefix: "")
            #expect(Self.values(imported) == expected)
            #expect(imported.kvs.allSatisfy { $0.version == 1 && $0.lease == nil })
            #expect(report.revision == imported.revision)
        }
    }

    @Test(
        "SQLite to etcd and back: the same keys and values in each store; the etcd export says etcd",
        .etcdAvailable)
    func sqliteToEtcdAndBack() async throws {
        try await FixtureStack.with { stack in
            let dir = try await stack.temporaryDirectory("roundtrip")
            let etcd = try await stack.etcd()
            let source = try await Self.sqlite(stack)
            let expected = try await Self.fill(source)
            try await StoreExport.write(from: source, to: dir + "/from-sqlite.jsonl")

            let cluster = try etcd.store()
            await stack.push("etcd store client") { try? await cluster.close() }
            let report = try await StoreImport.run(dir + "/from-sqlite.jsonl", into: cluster)
            #expect(report.written == expected.count && report.skippedLeased == Self.leasedKeys.count)
            #expect(Self.values(try await cluster.range(prefix: "")) == expected)

            let header = try await StoreExport.write(from: cluster, to: dir + "/from-etcd.jsonl")
            #expect(header.source == "etcd" && header.keys == expected.count)
            let back = try await Self.sqlite(stack)
            let again = try await StoreImport.run(dir + "/from-etcd.jsonl", into: back)
            #expect(again.written == expected.count && again.skippedLeased == 0)
            #expect(Self.values(try await back.range(prefix: "")) == expected)
        }
    }

    @Test("an import into a store that holds a key is refused, saying how many, and writes nothing")
    func nonEmptyTargetIsRefused() async throws {
        try await FixtureStack.with { stack in
            let dir = try await stack.temporaryDirectory("roundtrip")
            let source = try await Self.sqlite(stack)
            _ = try await Self.fill(source)
            try await StoreExport.write(from: source, to: dir + "/store.jsonl")
            let target = try await Self.sqlite(stack)
            try await target.put("/already/here", value: Data("x".utf8))
            try await target.put("/already/there", value: Data("y".utf8))
            let before = try await target.range(prefix: "")
            await #expect(throws: StoreImportError.targetNotEmpty(keys: 2, kind: "sqlite")) {
                try await StoreImport.run(dir + "/store.jsonl", into: target)
            }
            #expect(
                "\(StoreImportError.targetNotEmpty(keys: 2, kind: "sqlite"))"
                    == "the target sqlite store holds 2 keys: an import needs an empty store; nothing was written")
            #expect(try await target.range(prefix: "") == before)
        }
    }

    @Test("an export file is new, readable by its owner only, and never replaces an existing file")
    func exportFile() async throws {
        try await FixtureStack.with { stack in
            let dir = try await stack.temporaryDirectory("roundtrip")
            let source = try await Self.sqlite(stack)
            _ = try await Self.fill(source)
            try await StoreExport.write(from: source, to: dir + "/store.jsonl")
            let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/store.jsonl")
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            try Data("keep me".utf8).write(to: URL(fileURLWithPath: dir + "/taken.jsonl"))
            await #expect(throws: StoreFileError.self) { try await StoreExport.write(from: source, to: dir + "/taken.jsonl") }
            #expect(try String(contentsOfFile: dir + "/taken.jsonl", encoding: .utf8) == "keep me")
            #expect(
                try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["store.jsonl", "taken.jsonl"],
                "no temporary file left")
        }
    }

    // MARK: - Support

    /// The keys ``fill(_:)`` attaches to a lease.
    static let leasedKeys = ["/flotilla/alive/h1", "/flotilla/leader"]

    /// Writes a varied store: 260 keys in one prefix (three transactions' worth), some rewritten, some deleted,
    /// keys and values of any bytes, an empty value, values large enough to split transactions by size, and
    /// ``leasedKeys`` under a live lease. Returns the keys an import must write, with their values.
    static func fill(_ store: any ClusterStore) async throws -> [String: Data] {
        var expected: [String: Data] = [:]
        for i in 0..<260 {
            let key = String(format: "/flotilla/instances/i-%04d", i)
            let value = Data("{\"id\":\"i-\(i)\",\"state\":\"running\"}".utf8)
            try await store.put(key, value: value)
            expected[key] = value
        }
        for i in stride(from: 0, to: 260, by: 7) {
            let key = String(format: "/flotilla/instances/i-%04d", i)
            let value = Data("{\"id\":\"i-\(i)\",\"state\":\"stopped\"}".utf8)
            try await store.put(key, value: value)
            expected[key] = value
        }
        for i in stride(from: 3, to: 260, by: 11) {
            let key = String(format: "/flotilla/instances/i-%04d", i)
            try await store.delete(key)
            expected[key] = nil
        }
        let odd: [(String, Data)] = [
            ("/flotilla/names/ünïcødé-名前", Data((0...255).map(UInt8.init))),
            ("/flotilla/meta/empty", Data()),
            ("/flotilla-audit/records/line\nbreak", Data("\n\n".utf8)),
        ]
        for (key, value) in odd {
            try await store.put(key, value: value)
            expected[key] = value
        }
        for i in 0..<4 {
            let key = "/flotilla/images/large-\(i)"
            let value = Data(repeating: UInt8(0x41 + i), count: 400_000)
            try await store.put(key, value: value)
            expected[key] = value
        }
        let lease = try await store.grantLease(ttl: .seconds(120))
        for key in leasedKeys { try await store.put(key, value: Data("held".utf8), lease: lease) }
        return expected
    }

    /// Every key of `range` with its value.
    static func values(_ range: RangeResult) -> [String: Data] {
        Dictionary(uniqueKeysWithValues: range.kvs.map { ($0.key, $0.value) })
    }

    /// An empty SQLite store (with its lease loop), closed and removed when the stack unwinds.
    static func sqlite(_ stack: FixtureStack) async throws -> any ClusterStore {
        let harness = SQLiteStoreHarness(synchronous: .normal)
        await stack.push("sqlite store") { try? await harness.tearDown() }
        return try await harness.makeStore()
    }
}
