import FlotillaBackends
import FlotillaCore
import FlotillaTestSupport
import Foundation
import Testing

/// Live migration between two kvm backends whose disks sit on storage both share (docs/decisions/0029-shared-disk-storage.md):
/// here one folder both backends are given as their shared storage, as two hosts mounting one NFS export would be.
/// Real QEMU (TCG) on both sides; the test guest reads a file from its data disk at boot and counts every second.
@Suite(.serialized, .enabled(if: KVMTestSupport.enabled, KVMTestSupport.skipReason))
struct QEMUSharedDiskMigrationTests {
    static func request(_ id: String, _ guest: GuestImageFixture.Guest, volume: String) -> BackendCreateRequest {
        let config = InstanceConfig(
            image: "flotilla-test-guest", kernelArguments: "flotilla.cat=data:token.txt", disks: [DiskSpec(id: "data", image: "volume")])
        return QEMUFixtures.request(id: id, guest: guest, config: config, diskImages: ["data": DiskImage(path: volume, format: "raw")])
    }

    static func startAndWaitForFile(_ backend: QEMUBackend, _ id: String, token: String) async throws {
        try await backend.start(id: id)
        try await eventually("the guest reads its disk and counts", timeout: .seconds(180), every: .milliseconds(500)) {
            let console = try await backend.console(id: id, lines: 400)
            return console.contains("FLOTILLA-FILE \(token)") && QEMUMigrationTests.ticks(console).contains(2)
        }
    }

    @Test func theGuestMovesWithoutItsDisksRunsThereOnlyOnceActivatedAndTheSourceLeavesTheDisks() async throws {
        try await QEMUMigrationTests.withTwoBackends(shared: true) { source, destination, guest, root in
            let id = QEMUFixtures.newId()
            let token = "shared-\(UUID().uuidString.prefix(8))"
            let request = Self.request(id, guest, volume: try await QEMUMigrationTests.ext4Image(in: root, token: token))
            try await source.create(request)
            let folder = root + "/shared/instances/" + id
            #expect(FileManager.default.fileExists(atPath: folder + "/disk-data.qcow2"), "the disk is on the shared storage")
            #expect(!FileManager.default.fileExists(atPath: root + "/a/" + id + "/disk-data.qcow2"))
            try await Self.startAndWaitForFile(source, id, token: token)

            let storage = try #require(await source.sharedStorage(id: id))
            let incoming = try await destination.prepareIncoming(request, listenHost: "127.0.0.1", sharedStorage: storage)
            #expect(incoming.sharedDisks == true && incoming.disks.isEmpty && incoming.diskAddress == nil, "\(incoming)")
            #expect(try await destination.arguments(id: id).last == "-S", "the incoming guest waits, paused, once loaded")
            let lastOnSource = QEMUMigrationTests.ticks(try await source.console(id: id, lines: 400)).last ?? 0
            let figures = try await source.migrateOut(id: id, to: incoming, timeout: .seconds(240))
            #expect(figures.diskBytes == 0 && figures.memoryBytes > 0, "only memory moved: \(figures)")
            try await destination.completeIncoming(id: id, timeout: .seconds(60))
            #expect(try await destination.inspect(id: id).state == .paused, "it runs only once the cluster names this host")

            // The cluster deletes the source's copy after the switch: the disks the destination uses stay.
            try await source.delete(id: id, force: true)
            #expect(FileManager.default.fileExists(atPath: folder + "/disk-data.qcow2"))
            await destination.activateIncoming(id: id)
            try await QEMUMigrationTests.expectCountsOn(destination, id, after: lastOnSource)

            // Booted again there, it reads its file from the shared disk; deleting it there removes the disks.
            try await destination.stop(id: id, force: true, timeout: .zero)
            let before = try await destination.console(id: id, lines: 2000)
            try await destination.start(id: id)
            try await eventually("the guest boots again from the shared disk", timeout: .seconds(180), every: .milliseconds(500)) {
                let console = try await destination.console(id: id, lines: 2000)
                return console.count > before.count && console.dropFirst(before.count).contains("FLOTILLA-FILE \(token)")
            }
            try await destination.delete(id: id, force: true)
            #expect(!FileManager.default.fileExists(atPath: folder), "the owner's delete removes its shared disks")
        }
    }

    @Test func anAbortedMoveLeavesTheSourceRunningOnItsSharedDisks() async throws {
        try await QEMUMigrationTests.withTwoBackends(shared: true) { source, destination, guest, root in
            let id = QEMUFixtures.newId()
            let token = "abort-\(UUID().uuidString.prefix(8))"
            let request = Self.request(id, guest, volume: try await QEMUMigrationTests.ext4Image(in: root, token: token))
            try await source.create(request)
            try await Self.startAndWaitForFile(source, id, token: token)
            let incoming = try await destination.prepareIncoming(
                request, listenHost: "127.0.0.1", sharedStorage: await source.sharedStorage(id: id))
            #expect(incoming.sharedDisks == true)
            await destination.abortIncoming(id: id)
            #expect(await destination.incomingInstances().isEmpty)
            let folder = root + "/shared/instances/" + id
            #expect(FileManager.default.fileExists(atPath: folder + "/disk-data.qcow2"), "the source's disks stay")
            let last = QEMUMigrationTests.ticks(try await source.console(id: id, lines: 400)).last ?? 0
            try await eventually("the source counts on", timeout: .seconds(60), every: .milliseconds(500)) {
                (QEMUMigrationTests.ticks(try await source.console(id: id, lines: 400)).last ?? -1) > last + 1
            }
            // Another storage identity, or none: the destination makes disks of its own and mirrors.
            let other = try await destination.prepareIncoming(request, listenHost: "127.0.0.1", sharedStorage: "another-storage")
            #expect(other.sharedDisks == nil && other.disks.contains("disk-data"), "\(other)")
            await destination.abortIncoming(id: id)
            #expect(FileManager.default.fileExists(atPath: folder + "/disk-data.qcow2"), "the source's disks stay")
        }
    }
}
