import FlotillaCore
import FlotillaStore
import FlotillaTestSupport
import Foundation
import Testing

/// A damaged export is refused whole, naming the line and what is wrong, and an import of it writes nothing.
@Suite("Store export: damaged files are refused", .timeLimit(.minutes(1)))
struct StoreExportRefusalTests {
    /// One way to damage the sound export of ``sound`` (a header, three key lines `/k1` `/k2` `/k3`, a trailer).
    struct Damage: Sendable, CustomTestStringConvertible {
        var name: String
        var damage: @Sendable (Data) throws -> Data
        /// The line the error names (nil: the file as a whole).
        var line: Int?
        /// The exact problem, when the test can know it (a checksum it cannot).
        var problem: StoreExportError.Problem?
        /// Words the message must hold.
        var says: String
        var testDescription: String { name }
    }

    static let kvs = ["/k1": "one", "/k2": "two", "/k3": "three"].sorted { $0.key < $1.key }.enumerated().map { index, pair in
        KeyValue(key: pair.key, value: Data(pair.value.utf8), createRevision: Int64(index + 2), modRevision: Int64(index + 2), version: 1)
    }
    static let header = StoreExportHeader(revision: 4, source: "sqlite", exportedAt: Date(timeIntervalSince1970: 1_767_323_045), keys: 3)
    static func sound() throws -> Data { try StoreExport.encode(header: header, kvs: kvs) }

    static func lines(_ data: Data) -> [String] {
        String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }
    static func file(_ lines: [String]) -> Data { Data(lines.map { $0 + "\n" }.joined().utf8) }
    static func replacing(_ old: String, with new: String, onLine number: Int) -> @Sendable (Data) throws -> Data {
        { data in
            var all = lines(data)
            try #require(all[number - 1].contains(old))
            all[number - 1] = all[number - 1].replacingOccurrences(of: old, with: new)
            return file(all)
        }
    }
    static func editingLines(_ edit: @escaping @Sendable (inout [String]) -> Void) -> @Sendable (Data) throws -> Data {
        { data in
            var all = lines(data)
            edit(&all)
            return file(all)
        }
    }
    static func withHeader(_ change: @escaping @Sendable (inout StoreExportHeader) -> Void, kvs: [KeyValue] = kvs)
        -> @Sendable (Data) throws -> Data
    {
        { _ in
            var header = Self.header
            change(&header)
            return try StoreExport.encode(header: header, kvs: kvs)
        }
    }

    static let damages: [Damage] = [
        Damage(
            name: "cut inside the last key line", damage: { data in data.prefix(lines(data)[0...2].joined().utf8.count + 3 + 10) }, line: 4,
            problem: .truncated, says: "line 4: the file ends without its trailer"),
        Damage(
            name: "cut after a key line: the trailer is lost", damage: editingLines { $0.removeLast() }, line: 4,
            problem: .truncated, says: "it is truncated or damaged"),
        Damage(
            name: "only the header", damage: editingLines { $0.removeLast(4) }, line: 1, problem: .truncated,
            says: "line 1: the file ends without its trailer"),
        Damage(
            name: "one byte of a value changed (still base64)", damage: replacing("\"dHdv\"", with: "\"dHdw\"", onLine: 3), line: 5,
            problem: nil, says: "line 5: the checksum of the lines above is"),
        Damage(
            name: "one byte that breaks the JSON of a key line", damage: replacing("{\"create", with: "[\"create", onLine: 2), line: 2,
            problem: nil, says: "line 2: not a key line: not JSON"),
        Damage(
            name: "a value that is not base64", damage: replacing("\"b25l\"", with: "\"b2!l\"", onLine: 2), line: 2, problem: nil,
            says: "line 2: not a key line: value"),
        Damage(
            name: "a key line without its key", damage: replacing("\"key\":\"/k2\",", with: "", onLine: 3), line: 3,
            problem: .malformedLine("it has no key"), says: "line 3: not a key line: it has no key"),
        Damage(
            name: "an empty line among the keys",
            damage: editingLines { $0.insert("", at: 2) }, line: 3,
            problem: .malformedLine("the line is empty"), says: "line 3: not a key line: the line is empty"),
        Damage(
            name: "a key line removed",
            damage: editingLines { _ = $0.remove(at: 2) }, line: 1,
            problem: .countMismatch(declared: 3, found: 2), says: "line 1: says 3 keys, the file holds 2"),
        Damage(
            name: "the header counts another number of keys", damage: withHeader { $0.keys = 4 }, line: 1,
            problem: .countMismatch(declared: 4, found: 3), says: "line 1: says 4 keys"),
        Damage(
            name: "the trailer counts another number of keys", damage: replacing("\"keys\":3", with: "\"keys\":2", onLine: 5), line: 5,
            problem: .countMismatch(declared: 2, found: 3), says: "line 5: says 2 keys, the file holds 3"),
        Damage(
            name: "an unknown version of the format", damage: withHeader { $0.version = 2 }, line: 1, problem: .unknownVersion(2),
            says: "line 1: format version 2 is unknown to this flotilla, which reads version 1"),
        Damage(
            name: "another format", damage: withHeader { $0.format = "pg_dump" }, line: 1,
            problem: .notAnExport("its format is \"pg_dump\""),
            says: "not a flotilla-store-export header"),
        Damage(
            name: "not JSON at all", damage: { _ in Data("hello\nworld\n".utf8) }, line: 1, problem: nil,
            says: "line 1: not a flotilla-store-export"),
        Damage(name: "an empty file", damage: { _ in Data() }, line: nil, problem: .empty, says: "the file is empty"),
        Damage(
            name: "unsorted keys", damage: withHeader({ _ in }, kvs: [kvs[1], kvs[0], kvs[2]]), line: 3,
            problem: .unsortedKey("/k1", after: "/k2"), says: "line 3: key /k1 is out of order"),
        Damage(
            name: "a key twice", damage: withHeader({ _ in }, kvs: [kvs[0], kvs[0], kvs[2]]), line: 3,
            problem: .duplicateKey("/k1", firstLine: 2), says: "line 3: key /k1 appears twice (first on line 2)"),
        Damage(
            name: "a key line after the trailer", damage: editingLines { $0.append($0[1]) }, line: 5,
            problem: .trailerNotLast,
            says: "line 5: a trailer before the last line"),
    ]

    @Test("the sound export reads and imports (the damages below start from it)")
    func soundFileImports() async throws {
        try await FixtureStack.with { stack in
            let path = try await stack.temporaryDirectory("export") + "/sound.jsonl"
            try Self.sound().write(to: URL(fileURLWithPath: path))
            let store = try await Self.store(stack)
            let report = try await StoreImport.run(path, into: store)
            #expect(report.written == 3 && report.skippedLeased == 0)
            #expect(try await store.range(prefix: "").kvs.map(\.value) == Self.kvs.map(\.value))
        }
    }

    @Test("a damaged export: reading names the line and the problem; an import refuses it and the store stays empty", arguments: damages)
    func refused(_ damage: Damage) async throws {
        try await FixtureStack.with { stack in
            let path = try await stack.temporaryDirectory("export") + "/damaged.jsonl"
            try damage.damage(try Self.sound()).write(to: URL(fileURLWithPath: path))
            let read = try #require(throws: StoreExportError.self) { try StoreExport.read(path) }
            #expect(read.line == damage.line)
            if let problem = damage.problem { #expect(read.problem == problem) }
            #expect(read.description.contains(damage.says), "\(read)")
            let store = try await Self.store(stack)
            let imported = await #expect(throws: StoreExportError.self) { try await StoreImport.run(path, into: store) }
            #expect(imported == read)
            #expect(try await store.range(prefix: "").kvs.isEmpty)
        }
    }

    /// An empty SQLite store, closed and removed when the stack unwinds.
    static func store(_ stack: FixtureStack) async throws -> any ClusterStore {
        let harness = SQLiteStoreHarness()
        await stack.push("sqlite store") { try? await harness.tearDown() }
        return try await harness.makeStore()
    }
}
