import FlotillaCore
import FlotillaTestSupport
import Foundation
import Testing

@testable import FlotillaBackends

/// A kvm snapshot copied to another host's backend (docs/decisions/0028-snapshots.md): exported by one QEMU
/// backend, imported by another with its own folder and its own path for the catalog volume, made into a VM there.
/// Real QEMU (TCG) and the test guest of ``QEMUSnapshotTests``.
@Suite(.serialized, .enabled(if: KVMTestSupport.enabled, KVMTestSupport.skipReason))
struct QEMUSnapshotCopyTests {
    /// The whole export of `artifact` by `backend`, piece by piece.
    static func export(_ backend: QEMUBackend, _ artifact: SnapshotArtifact) async throws -> [[UInt8]] {
        let pieces = LockedBox<[[UInt8]]>([])
        try await backend.exportSnapshot(artifact) { piece in pieces.withLock { $0.append(piece) } }
        return pieces.value
    }

    static func source(_ pieces: [[UInt8]]) -> SnapshotByteSource {
        { write in for piece in pieces { try await write(piece) } }
    }

    /// What `qemu-img info` says the file's base is.
    static func backingFile(_ path: String) async throws -> String? {
        let text = try await KVMTestSupport.run("/usr/bin/qemu-img", ["info", "-U", "--output=json", path], timeout: .seconds(30))
        let info = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        return info?["backing-filename"] as? String
    }

    @Test func aRunningVMsSnapshotCopiedToAnotherBackendGoesOnCountingThereAndBootsOnItsVolume() async throws {
        try await QEMUFixtures.withBackend { a, guest, dir in
            try await QEMUFixtures.withFolderBackend(label: "kvmt-b") { b, dirB in
                let note = "note-\(UUID().uuidString.prefix(8))"
                let volume = try await QEMUSnapshotTests.volume(in: dir, note: note)
                let source = QEMUFixtures.newId()
                try await a.create(QEMUSnapshotTests.request(source, guest, volume))
                try await QEMUSnapshotTests.startAndWaitForWrite(a, source)
                let before = await QEMUSnapshotTests.lastTick(a, source)
                let artifact = try await a.snapshot(id: source, snapshotId: "copy-1")
                let after = await QEMUSnapshotTests.lastTick(a, source)
                try await a.delete(id: source, force: true)

                let pieces = try await Self.export(a, artifact)
                #expect(pieces.count > 1, "the export streams in pieces: \(pieces.count)")
                let copy = try await b.importSnapshot("copy-1", as: "copy-1-elsewhere", from: Self.source(pieces))
                #expect(copy.location == dirB + "/snapshots/copy-1-elsewhere")
                #expect(copy.includesMemory)
                #expect(try FileManager.default.contentsOfDirectory(atPath: dirB + "/snapshots") == ["copy-1-elsewhere"], "no scratch left")

                // B's catalog keeps the same volume at its own path; A's is gone.
                let volumeB = DiskImage(path: dirB + "/volume-b.raw", format: "raw")
                try FileManager.default.copyItem(atPath: volume.path, toPath: volumeB.path)
                try FileManager.default.removeItem(atPath: volume.path)
                let restored = QEMUFixtures.newId()
                try await b.create(QEMUSnapshotTests.request(restored, guest, volumeB), from: copy)
                #expect(try await Self.backingFile(dirB + "/\(restored)/disk-data.qcow2") == volumeB.path)
                try await b.deleteSnapshot(copy)
                #expect(!FileManager.default.fileExists(atPath: copy.location))

                try await QEMUSnapshotTests.startAndExpectResumed(b, restored, before: before, after: after)

                // Booted again, the guest reads its file through the volume at B's path.
                try await b.stop(id: restored, force: true, timeout: .zero)
                try await b.start(id: restored)
                try await eventually(
                    "the copied VM boots and reads its volume", timeout: QEMUSnapshotTests.bootCap, every: .milliseconds(200)
                ) {
                    await QEMUSnapshotTests.console(b, restored).contains("FLOTILLA-FILE \(note)")
                }
            }
        }
    }

    @Test func aShortOrForeignStreamIsRefusedAndLeavesNothing() async throws {
        try await QEMUFixtures.withBackend { a, guest, dir in
            try await QEMUFixtures.withFolderBackend(label: "kvmt-b") { b, dirB in
                let volume = try await QEMUSnapshotTests.volume(in: dir, note: "n")
                let source = QEMUFixtures.newId()
                try await a.create(QEMUSnapshotTests.request(source, guest, volume))
                let artifact = try await a.snapshot(id: source, snapshotId: "files-1")
                let whole = try await Self.export(a, artifact).flatMap { $0 }
                let cases: [(String, [[UInt8]], String)] = [
                    // (A cut in the archive's zero padding at its end loses nothing: tar takes that one whole.)
                    ("a stream cut inside its first file", [Array(whole.prefix(3000))], "files-1"),
                    ("bytes that are no archive", [Array("hello".utf8)], "files-1"),
                    ("another snapshot's archive", [whole], "files-2"),
                ]
                for (label, pieces, expected) in cases {
                    await #expect(throws: BackendError.self, "\(label)") {
                        _ = try await b.importSnapshot(expected, as: "copy", from: Self.source(pieces))
                    }
                    let left = (try? FileManager.default.contentsOfDirectory(atPath: dirB + "/snapshots")) ?? []
                    #expect(left.isEmpty, "\(label) leaves nothing: \(left)")
                }
                let failing: SnapshotByteSource = { write in
                    try await write(Array(whole.prefix(4096)))
                    throw BackendError.failed("the holder went away")
                }
                await #expect(throws: BackendError.self) { _ = try await b.importSnapshot("files-1", as: "copy", from: failing) }
                #expect(((try? FileManager.default.contentsOfDirectory(atPath: dirB + "/snapshots")) ?? []).isEmpty)

                let copy = try await b.importSnapshot("files-1", as: "copy", from: Self.source([whole]))
                #expect(!copy.includesMemory)
                await #expect(throws: BackendError.self, "the same local name twice") {
                    _ = try await b.importSnapshot("files-1", as: "copy", from: Self.source([whole]))
                }
                await #expect(throws: BackendError.self, "a name that is no snapshot id") {
                    _ = try await b.importSnapshot("files-1", as: "../x", from: Self.source([whole]))
                }
            }
        }
    }
}
