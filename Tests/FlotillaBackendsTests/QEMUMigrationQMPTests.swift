import FlotillaCore
import Foundation
import Testing

@testable import FlotillaBackends

/// The pure pieces of kvm live migration (docs/decisions/0027-live-migration.md): the incoming command line, the QMP
/// arguments, and the reading of QEMU's answers.
@Suite struct QEMUMigrationQMPTests {
    static func line(incoming: Bool) -> QEMUCommandLine {
        QEMUCommandLine(
            id: "abc", accel: .tcg, machine: .microvm, cpus: 1, memoryMB: 128, kernelPath: "/k/vmlinuz", initrdPath: nil,
            diskPath: "/d/overlay.qcow2", cidataPath: "/d/cidata.iso", bridge: nil, consolePath: "/d/console.log",
            qmpPath: "/d/qmp.sock", pidPath: "/d/qemu.pid",
            disks: [
                QEMUCommandLine.Disk(id: "data", path: "/d/disk-data.qcow2"),
                QEMUCommandLine.Disk(id: "seed", path: "/d/disk-seed.qcow2", readOnly: true),
            ],
            interfaces: [.init(device: .tap("fl-abc-0"), mac: "52:54:00:12:34:56")], incoming: incoming)
    }

    @Test func anIncomingCommandLineIsTheSameWithDeferredIncomingAndSharedWritableDrives() {
        let plain = Self.line(incoming: false).arguments
        let incoming = Self.line(incoming: true).arguments
        #expect(!plain.contains("-incoming"))
        #expect(Array(incoming.suffix(2)) == ["-incoming", "defer"])
        #expect(incoming.contains("virtio-blk-device,drive=root,share-rw=on"))
        #expect(incoming.contains("virtio-blk-device,drive=disk-data,serial=data,share-rw=on"))
        #expect(incoming.contains("virtio-blk-device,drive=disk-seed,serial=seed"), "a read-only disk is not mirrored")
        #expect(incoming.contains("virtio-blk-device,drive=cidata"))
        // Apart from those, the same machine, devices and MACs, in the same order.
        let stripped = incoming.dropLast(2).map { $0.replacingOccurrences(of: ",share-rw=on", with: "") }
        #expect(stripped == plain)
    }

    struct DrivesRow: Sendable, CustomTestStringConvertible {
        var hasDisk: Bool
        var disks: [DiskSpec]
        var drives: [String]
        var testDescription: String { "disk \(hasDisk), \(disks.map(\.id)) -> \(drives)" }
    }

    @Test(arguments: [
        DrivesRow(hasDisk: false, disks: [], drives: []),
        DrivesRow(hasDisk: true, disks: [], drives: ["root"]),
        DrivesRow(
            hasDisk: true,
            disks: [DiskSpec(id: "a", sizeBytes: 1), DiskSpec(id: "ro", image: "x", readOnly: true), DiskSpec(id: "b", sizeBytes: 1)],
            drives: ["root", "disk-a", "disk-b"]),
        DrivesRow(hasDisk: false, disks: [DiskSpec(id: "a", sizeBytes: 1)], drives: ["disk-a"]),
    ])
    func theMirroredDrivesAreTheDiskAndTheWritableDisks(_ row: DrivesRow) {
        #expect(QEMUMigrationQMP.mirroredDrives(hasDisk: row.hasDisk, disks: row.disks) == row.drives)
    }

    @Test func theQMPArgumentsNameTheDriveTheNodeAndTheSockets() {
        #expect(QEMUMigrationQMP.uri(socket: "/d/m.sock") == ["uri": .string("unix:/d/m.sock")])
        #expect(
            QEMUMigrationQMP.diskServer(socket: "/d/n.sock")
                == ["addr": .object(["type": .string("unix"), "data": .object(["path": .string("/d/n.sock")])])])
        #expect(QEMUMigrationQMP.export("disk-a") == ["device": .string("disk-a"), "writable": .bool(true)])
        #expect(
            QEMUMigrationQMP.target("root", socket: "/s/n.sock") == [
                "driver": .string("nbd"), "node-name": .string("migrate-root"),
                "server": .object(["type": .string("unix"), "path": .string("/s/n.sock")]), "export": .string("root"),
            ])
        #expect(
            QEMUMigrationQMP.mirror("root") == [
                "job-id": .string("mirror-root"), "device": .string("root"), "target": .string("migrate-root"), "sync": .string("full"),
                "copy-mode": .string("write-blocking"),
            ])
        #expect(QEMUMigrationQMP.parameters["downtime-limit"] == .int(300))
        // The destination reports whether it loaded the stream: a failed load fails the move on the source.
        #expect(
            QEMUMigrationQMP.capabilities == [
                "capabilities": .array([.object(["capability": .string("return-path"), "state": .bool(true)])])
            ])
    }

    @Test func blockJobsAreReadWithTheirReadinessAndError() {
        let answer: JSONValue = .array([
            .object([
                "device": .string("mirror-root"), "ready": .bool(true), "status": .string("ready"), "offset": .int(64 << 20),
                "len": .int(64 << 20), "type": .string("mirror"),
            ]),
            .object([
                "device": .string("mirror-disk-a"), "ready": .bool(false), "status": .string("concluded"), "offset": .int(5),
                "len": .int(10), "error": .string("Input/output error"),
            ]),
        ])
        #expect(
            QEMUMigrationQMP.jobs(answer) == [
                .init(id: "mirror-root", ready: true, status: "ready", offset: 64 << 20, length: 64 << 20, error: nil),
                .init(id: "mirror-disk-a", ready: false, status: "concluded", offset: 5, length: 10, error: "Input/output error"),
            ])
        #expect(QEMUMigrationQMP.jobs(.array([])).isEmpty)
    }

    struct ProgressRow: Sendable, CustomTestStringConvertible {
        var answer: JSONValue
        var progress: QEMUMigrationQMP.Progress
        var testDescription: String { "\(progress)" }
    }

    @Test(arguments: [
        ProgressRow(answer: .object([:]), progress: .active("none")),
        ProgressRow(answer: .object(["status": .string("active"), "total-time": .int(300)]), progress: .active("active")),
        ProgressRow(
            answer: .object([
                "status": .string("completed"), "total-time": .int(1687), "downtime": .int(8), "setup-time": .int(2),
                "ram": .object(["transferred": .int(48_907_126), "total": .int(134_295_552)]),
            ]),
            progress: .completed(
                MigrationFigures(
                    totalMilliseconds: 1687, downtimeMilliseconds: 8, diskMilliseconds: 40, memoryBytes: 48_907_126, diskBytes: 7))),
        ProgressRow(
            answer: .object(["status": .string("failed"), "error-desc": .string("Unable to write to socket: Broken pipe")]),
            progress: .failed("Unable to write to socket: Broken pipe")),
        ProgressRow(answer: .object(["status": .string("cancelled")]), progress: .failed("the migration is cancelled")),
    ])
    func queryMigrateIsReadAsProgressAndFigures(_ row: ProgressRow) {
        #expect(QEMUMigrationQMP.progress(row.answer, diskMilliseconds: 40, diskBytes: 7) == row.progress)
    }

    @Test func aTokenIsLongRandomAndPrintable() {
        let first = QEMUBackend.migrationToken()
        #expect(first.count == 64)
        let hex = first.allSatisfy { $0.isHexDigit }
        #expect(hex)
        #expect(first != QEMUBackend.migrationToken())
    }
}
