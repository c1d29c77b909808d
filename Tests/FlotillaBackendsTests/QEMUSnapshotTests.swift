import FlotillaCore
import FlotillaTestSupport
import Foundation
import Testing

@testable import FlotillaBackends

/// Snapshots of kvm VMs (docs/decisions/0028-snapshots.md) with real QEMU (TCG) and the test guest: its init
/// prints a READY marker, reads a file from its `data` disk (`flotilla.cat`), overwrites the disk's first block
/// with zeros (`flotilla.rotest`), then prints a counter every second. The data disk is an ext4 volume whose
/// first block (unused by ext4) is 0x5a: zeros there are the guest's write.
@Suite(.serialized, .enabled(if: KVMTestSupport.enabled, KVMTestSupport.skipReason))
struct QEMUSnapshotTests {
    /// Booting the test guest under TCG on a busy 2-core machine: a generous cap for polling, not a timing claim.
    static let bootCap = Duration.seconds(240)

    static func config() -> InstanceConfig {
        InstanceConfig(
            image: "flotilla-test-guest", kernelArguments: "flotilla.cat=data:/note.txt flotilla.rotest=data",
            disks: [DiskSpec(id: "data", image: "snapshot-volume")])
    }

    /// An ext4 volume holding `note.txt` with `note`, its first block set to 0x5a.
    static func volume(in dir: String, note: String) async throws -> DiskImage {
        let source = dir + "/volume-files"
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try Data(note.utf8).write(to: URL(fileURLWithPath: source + "/note.txt"))
        let path = dir + "/volume.raw"
        _ = try await KVMTestSupport.run("/usr/sbin/mkfs.ext4", ["-q", "-F", "-d", source, path, "16M"], timeout: .seconds(60))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.write(contentsOf: Data(repeating: 0x5a, count: 512))
        try handle.close()
        return DiskImage(path: path, format: "raw")
    }

    static func request(_ id: String, _ guest: GuestImageFixture.Guest, _ volume: DiskImage, memoryMiB: Int64 = 128) -> BackendCreateRequest
    {
        var request = QEMUFixtures.request(id: id, guest: guest, config: config(), diskImages: ["data": volume])
        request.spec.resources.memoryBytes = memoryMiB << 20
        return request
    }

    /// The first 512 bytes a qcow2 disk shows its guest.
    static func firstBlock(of disk: String, in dir: String) async throws -> Data {
        let out = dir + "/block-\(UUID().uuidString.prefix(8)).raw"
        defer { try? FileManager.default.removeItem(atPath: out) }
        _ = try await KVMTestSupport.run(
            "/usr/bin/qemu-img", ["dd", "-f", "qcow2", "-O", "raw", "bs=512", "count=1", "if=\(disk)", "of=\(out)"],
            timeout: .seconds(60))
        return try Data(contentsOf: URL(fileURLWithPath: out))
    }

    static func console(_ backend: QEMUBackend, _ id: String) async -> String {
        (try? await backend.console(id: id, lines: 2000)) ?? ""
    }

    /// The counter values in the console, in order.
    static func ticks(_ text: String) -> [Int] {
        text.split(separator: "\n").compactMap { line in
            line.hasPrefix("FLOTILLA-TICK ") ? Int(line.dropFirst("FLOTILLA-TICK ".count).trimmingCharacters(in: .whitespaces)) : nil
        }
    }

    static func lastTick(_ backend: QEMUBackend, _ id: String) async -> Int { ticks(await console(backend, id)).last ?? -1 }

    /// Starts `id` and waits until its guest has written its disk and counts.
    static func startAndWaitForWrite(_ backend: QEMUBackend, _ id: String) async throws {
        try await backend.start(id: id)
        try await eventually("the guest wrote its disk and counts", timeout: bootCap, every: .milliseconds(200)) {
            let text = await console(backend, id)
            return text.contains("FLOTILLA-RO data allowed") && (ticks(text).last ?? -1) >= 1
        }
    }

    /// Starts `id`, made from a snapshot with memory, and checks that its guest goes on counting from the value at
    /// snapshot time (between the last tick seen before the snapshot and the one after) without booting.
    static func startAndExpectResumed(_ backend: QEMUBackend, _ id: String, before: Int, after: Int) async throws {
        try await backend.start(id: id)
        try await eventually("the resumed guest counts", timeout: bootCap, every: .milliseconds(200)) {
            ticks(await console(backend, id)).count >= 2
        }
        let text = await console(backend, id)
        let first = ticks(text).first ?? -1
        #expect(first >= before && first <= after + 1, "first tick \(first), source at \(before)...\(after): \(text.suffix(500))")
        #expect(!text.contains(GuestImageFixture.marker), "no boot: \(text.prefix(500))")
        #expect(!text.contains("Linux version"))
    }

    static func internalSnapshots(_ disk: String) async throws -> String {
        try await KVMTestSupport.run("/usr/bin/qemu-img", ["snapshot", "-l", "-U", disk], timeout: .seconds(30))
    }

    @Test func aVMMadeFromARunningVMsSnapshotGoesOnCountingWithItsDisk() async throws {
        try await QEMUFixtures.withBackend { backend, guest, dir in
            let note = "note-\(UUID().uuidString.prefix(8))"
            let volume = try await Self.volume(in: dir, note: note)
            let source = QEMUFixtures.newId()
            try await backend.create(Self.request(source, guest, volume))
            try await Self.startAndWaitForWrite(backend, source)
            #expect(await Self.console(backend, source).contains("FLOTILLA-FILE \(note)"))

            let before = await Self.lastTick(backend, source)
            let artifact = try await backend.snapshot(id: source, snapshotId: "running-1")
            let after = await Self.lastTick(backend, source)
            #expect(artifact.includesMemory)
            #expect(artifact.location == dir + "/snapshots/running-1")
            #expect(artifact.sizeBytes > 1 << 20, "the copies hold the guest's memory: \(artifact.sizeBytes) bytes")
            // The source goes on, and its live disk does not keep the internal snapshot.
            try await eventually("the source counts on after the snapshot", timeout: .seconds(60)) {
                await Self.lastTick(backend, source) > after
            }
            #expect(try await backend.inspect(id: source).state == .running)
            #expect(!(try await Self.internalSnapshots(dir + "/\(source)/overlay.qcow2")).contains("flotilla-running-1"))
            try await backend.delete(id: source, force: true)

            let restored = QEMUFixtures.newId()
            try await backend.create(Self.request(restored, guest, volume), from: artifact)
            let block = try await Self.firstBlock(of: dir + "/\(restored)/disk-data.qcow2", in: dir)
            #expect(block == Data(count: 512), "the guest's write before the snapshot is on the new VM's disk")
            try await Self.startAndExpectResumed(backend, restored, before: before, after: after)
            // The resumed VM's disks no longer keep the snapshot's state.
            #expect(!(try await Self.internalSnapshots(dir + "/\(restored)/overlay.qcow2")).contains("flotilla-running-1"))

            // Only the first start resumes: the next one boots, and the guest reads its file from the disk.
            try await backend.stop(id: restored, force: true, timeout: .zero)
            try await backend.start(id: restored)
            try await eventually("the restored VM boots on its next start", timeout: Self.bootCap, every: .milliseconds(200)) {
                let text = await Self.console(backend, restored)
                return text.contains(GuestImageFixture.marker) && text.contains("FLOTILLA-FILE \(note)")
            }
            #expect(!(try await backend.arguments(id: restored)).contains("-loadvm"))
            try await backend.deleteSnapshot(artifact)
        }
    }

    @Test func aVMMadeFromAStoppedVMsSnapshotBootsWithItsDisk() async throws {
        try await QEMUFixtures.withBackend { backend, guest, dir in
            let note = "note-\(UUID().uuidString.prefix(8))"
            let volume = try await Self.volume(in: dir, note: note)
            let source = QEMUFixtures.newId()
            try await backend.create(Self.request(source, guest, volume))
            try await Self.startAndWaitForWrite(backend, source)
            try await backend.stop(id: source, force: true, timeout: .zero)
            let artifact = try await backend.snapshot(id: source, snapshotId: "stopped-1")
            #expect(!artifact.includesMemory)
            #expect(artifact.sizeBytes > 0)
            try await backend.delete(id: source, force: true)

            // The disks must be the snapshot's.
            var other = Self.request(QEMUFixtures.newId(), guest, volume)
            other.spec.config.disks = [DiskSpec(id: "logs", sizeBytes: 1 << 20)]
            await #expect(
                throws: BackendError.invalidRequest("the instance does not match snapshot stopped-1: disks [logs], the snapshot's [data]")
            ) { try await backend.create(other, from: artifact) }

            let restored = QEMUFixtures.newId()
            try await backend.create(Self.request(restored, guest, volume, memoryMiB: 160), from: artifact)
            #expect(try await Self.firstBlock(of: dir + "/\(restored)/disk-data.qcow2", in: dir) == Data(count: 512))
            #expect(!(try await backend.arguments(id: restored)).contains("-loadvm"))
            try await backend.start(id: restored)
            try await eventually("the restored VM boots and reads its disk", timeout: Self.bootCap, every: .milliseconds(200)) {
                let text = await Self.console(backend, restored)
                return text.contains(GuestImageFixture.marker) && text.contains("FLOTILLA-FILE \(note)")
            }
            try await backend.deleteSnapshot(artifact)
        }
    }

    @Test func aSnapshotThatFailsMidwayLeavesTheGuestRunningAndNoFolder() async throws {
        try await QEMUFixtures.withBackend { backend, guest, dir in
            let volume = try await Self.volume(in: dir, note: "unused")
            let id = QEMUFixtures.newId()
            try await backend.create(Self.request(id, guest, volume))
            try await Self.startAndWaitForWrite(backend, id)

            // A file where the snapshots folder goes: the guest is paused and its state saved before the folder
            // is made, and that fails.
            let snapshots = dir + "/snapshots"
            _ = FileManager.default.createFile(atPath: snapshots, contents: Data("not a folder".utf8))
            var message = ""
            do {
                _ = try await backend.snapshot(id: id, snapshotId: "failing-1")
            } catch BackendError.failed(let why) {
                message = why
            }
            #expect(message.hasPrefix("snapshot of \(id) failed while creating the snapshot folder: "), "\(message)")
            let atFailure = await Self.lastTick(backend, id)
            try await eventually("the guest counts on after the failed snapshot", timeout: .seconds(60)) {
                await Self.lastTick(backend, id) > atFailure
            }
            #expect(try await backend.inspect(id: id).state == .running)
            #expect(!(try await Self.internalSnapshots(dir + "/\(id)/overlay.qcow2")).contains("flotilla-failing-1"))
            #expect(!(try await Self.internalSnapshots(dir + "/\(id)/disk-data.qcow2")).contains("flotilla-failing-1"))
            #expect(try String(contentsOfFile: snapshots, encoding: .utf8) == "not a folder")

            try FileManager.default.removeItem(atPath: snapshots)
            let artifact = try await backend.snapshot(id: id, snapshotId: "after-failure")
            #expect(try FileManager.default.contentsOfDirectory(atPath: snapshots) == ["after-failure"])
            await #expect(throws: BackendError.invalidRequest("snapshot after-failure already exists")) {
                _ = try await backend.snapshot(id: id, snapshotId: "after-failure")
            }
            // A snapshot with memory takes the same memory.
            await #expect(
                throws: BackendError.invalidRequest(
                    "the instance does not match snapshot after-failure: memory 268435456 bytes, the snapshot's 134217728 bytes")
            ) { try await backend.create(Self.request(QEMUFixtures.newId(), guest, volume, memoryMiB: 256), from: artifact) }

            // Deleting: idempotent, and never outside the snapshots folder.
            try await backend.deleteSnapshot(artifact)
            #expect(!FileManager.default.fileExists(atPath: artifact.location))
            try await backend.deleteSnapshot(artifact)
            for location in [dir + "/" + id, snapshots + "/../" + id, snapshots] {
                await #expect(throws: BackendError.self) {
                    try await backend.deleteSnapshot(SnapshotArtifact(location: location, sizeBytes: 0, includesMemory: false))
                }
            }
            #expect(FileManager.default.fileExists(atPath: dir + "/" + id + "/overlay.qcow2"))
            #expect(try await backend.inspect(id: id).state == .running)
        }
    }

    /// As in `flotilla serve`, where the agent inspects the VM while a snapshot runs: every inspect opens its own QMP
    /// session, interleaved with the snapshot's job polling, while QEMU emits the jobs' events. Two snapshots in a row
    /// must both succeed, the guest counting on and its disks keeping no internal snapshot.
    @Test func twoSnapshotsInARowWhileAnotherTaskKeepsInspecting() async throws {
        try await QEMUFixtures.withBackend { backend, guest, dir in
            let volume = try await Self.volume(in: dir, note: "busy")
            let id = QEMUFixtures.newId()
            try await backend.create(Self.request(id, guest, volume))
            try await Self.startAndWaitForWrite(backend, id)

            let artifacts = try await withThrowingTaskGroup(of: [SnapshotArtifact].self) { group in
                group.addTask {
                    while !Task.isCancelled {
                        _ = try? await backend.inspect(id: id)
                        try? await Task.sleep(for: .milliseconds(5))
                    }
                    return []
                }
                group.addTask {
                    [
                        try await backend.snapshot(id: id, snapshotId: "busy-1"),
                        try await backend.snapshot(id: id, snapshotId: "busy-2"),
                    ]
                }
                let first = try await group.next() ?? []
                group.cancelAll()
                return try await group.reduce(first, +)
            }
            #expect(artifacts.map(\.location) == [dir + "/snapshots/busy-1", dir + "/snapshots/busy-2"])
            #expect(artifacts.map(\.includesMemory) == [true, true])
            let after = await Self.lastTick(backend, id)
            try await eventually("the guest counts on after the snapshots", timeout: .seconds(60)) {
                await Self.lastTick(backend, id) > after
            }
            #expect(try await backend.inspect(id: id).state == .running)
            for disk in ["overlay.qcow2", "disk-data.qcow2"] {
                #expect(!(try await Self.internalSnapshots(dir + "/\(id)/\(disk)")).contains("flotilla-busy"))
            }
            for artifact in artifacts.reversed() { try await backend.deleteSnapshot(artifact) }
        }
    }
}
