import FlotillaCore
import FlotillaStore
import FlotillaTestSupport
import Foundation
import Testing

/// The online backup of a SQLite store (`flotilla store backup`): a copy at one commit, taken while a writer
/// goes on committing, that opens as a store.
@Suite("Store backup: online copy of a SQLite store", .timeLimit(.minutes(2)))
struct StoreExportBackupTests {
    static func key(_ i: Int) -> String { String(format: "/seq/%06d", i) }

    @Test(
        "a backup taken while a writer commits holds exactly the keys of one commit, opens as a store with the same keys, is one file readable by its owner only, and the writer goes on meanwhile"
    )
    func backupWhileWriting() async throws {
        try await FixtureStack.with { stack in
            let dir = try await stack.temporaryDirectory("backup")
            try FileManager.default.createDirectory(atPath: dir + "/copy", withIntermediateDirectories: true)
            let source = try SQLiteClusterStore(path: dir + "/flotilla.sqlite")
            await stack.push("close the source") { try? source.close() }
            // One key per write, in order: the store at revision R holds exactly keys 0 ..< R-1.
            let writer = Task {
                var written = 0
                while !Task.isCancelled {
                    try await source.put(Self.key(written), value: Data("value \(written)".utf8))
                    written += 1
                }
                return written
            }
            await stack.push("stop the writer") {
                writer.cancel()
                _ = await writer.result
            }
            try await eventually("200 keys written", timeout: .seconds(60)) { try await source.status().revision > 200 }
            let report = try SQLiteClusterStore.backup(databaseAt: dir + "/flotilla.sqlite", to: dir + "/copy/flotilla.sqlite")
            #expect(report.keys > 0 && report.revision == Int64(report.keys) + 1, "\(report)")
            try await eventually("the writer goes on after the backup", timeout: .seconds(60)) {
                try await source.status().revision > report.revision + 50
            }
            writer.cancel()
            _ = await writer.result

            #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/copy") == ["flotilla.sqlite"], "one file, nothing else")
            let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/copy/flotilla.sqlite")
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)

            let copy = try SQLiteClusterStore(path: dir + "/copy/flotilla.sqlite")
            await stack.push("close the copy") { try? copy.close() }
            let copied = try await copy.range(prefix: "")
            #expect(copied.revision == report.revision)
            #expect(copied.kvs.map(\.key) == (0..<report.keys).map(Self.key), "exactly the first \(report.keys) writes")
            let original = try await source.range(prefix: "/seq/")
            #expect(copied.kvs == Array(original.kvs.prefix(report.keys)), "values, revisions and versions as in the source")
            // The copy is a store that works: it takes writes on top of the copied revision.
            #expect(try await copy.put("/after", value: Data()) == report.revision + 1)
        }
    }

    @Test("a backup refuses an existing destination and a missing source, and leaves nothing behind")
    func refusals() async throws {
        try await FixtureStack.with { stack in
            let dir = try await stack.temporaryDirectory("backup")
            let source = try SQLiteClusterStore(path: dir + "/flotilla.sqlite")
            await stack.push("close the source") { try? source.close() }
            try await source.put("/k", value: Data("v".utf8))
            try Data("keep me".utf8).write(to: URL(fileURLWithPath: dir + "/taken.sqlite"))
            #expect(throws: StoreFileError("\(dir)/taken.sqlite already exists: choose another name or remove it first")) {
                try SQLiteClusterStore.backup(databaseAt: dir + "/flotilla.sqlite", to: dir + "/taken.sqlite")
            }
            #expect(throws: StoreFileError("\(dir)/flotilla.sqlite already exists: choose another name or remove it first")) {
                try SQLiteClusterStore.backup(databaseAt: dir + "/flotilla.sqlite", to: dir + "/flotilla.sqlite")
            }
            #expect(throws: StoreFileError("no SQLite store at \(dir)/missing/flotilla.sqlite")) {
                try SQLiteClusterStore.backup(databaseAt: dir + "/missing/flotilla.sqlite", to: dir + "/copy.sqlite")
            }
            try Data("not a database".utf8).write(to: URL(fileURLWithPath: dir + "/junk.sqlite"))
            #expect(throws: StoreFileError.self) {
                try SQLiteClusterStore.backup(databaseAt: dir + "/junk.sqlite", to: dir + "/copy.sqlite")
            }
            #expect(try String(contentsOfFile: dir + "/taken.sqlite", encoding: .utf8) == "keep me")
            let left = try FileManager.default.contentsOfDirectory(atPath: dir).filter { !$0.hasPrefix("flotilla.sqlite") }.sorted()
            #expect(left == ["junk.sqlite", "taken.sqlite"], "no copy, no temporary file")
        }
    }
}
