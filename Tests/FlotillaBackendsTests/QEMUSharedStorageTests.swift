import FlotillaCore
import Foundation
import Testing

@testable import FlotillaBackends

/// The identity of a shared disk storage (docs/decisions/0029-shared-disk-storage.md): written once by the first host,
/// read by every other; two hosts opening it at once read the same one.
struct QEMUSharedStorageTests {
    static func withFolder(_ body: (String) throws -> Void) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flt-shared-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try body(dir)
    }

    @Test func theFirstOpenWritesAnIdentityThatEveryLaterOpenReads() throws {
        try Self.withFolder { dir in
            let first = try QEMUSharedStorage.open(dir)
            #expect(!first.id.isEmpty)
            #expect(FileManager.default.fileExists(atPath: dir + "/instances"))
            #expect(try QEMUSharedStorage.open(dir + "/").id == first.id, "the same storage, however its path is written")
            #expect(first.diskFolder("i-1") == first.directory + "/instances/i-1")
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".flotilla-storage-id.") }
            #expect(leftovers.isEmpty, "no candidate file left: \(leftovers)")
        }
    }

    @Test func hostsOpeningItAtOnceReadOneIdentity() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flt-shared-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<8 { group.addTask { try QEMUSharedStorage.open(dir).id } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(ids.count == 1, "\(ids)")
    }

    @Test func anEmptyIdentityFileIsRefusedSayingWhatToDo() throws {
        try Self.withFolder { dir in
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try Data("\n".utf8).write(to: URL(fileURLWithPath: dir + "/.flotilla-storage-id"))
            #expect(throws: BackendError.self) { try QEMUSharedStorage.open(dir) }
        }
    }
}
