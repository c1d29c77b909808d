import FlotillaCore
import Foundation
import Testing

@testable import FlotillaBackends

/// The pure pieces of kvm snapshots (docs/decisions/0028-snapshots.md): the `-loadvm` argument, the QMP job
/// arguments and answers, the snapshot folder a location names, and which specs a snapshot accepts.
struct VMSnapshotTableTests {
    static func commandLine(loadvm: String?) -> QEMUCommandLine {
        QEMUCommandLine(
            id: "vm1", accel: .tcg, machine: .microvm, cpus: 1, memoryMB: 128, kernelPath: "/k", initrdPath: nil,
            diskPath: "/d/overlay.qcow2", cidataPath: nil, bridge: nil, consolePath: "/d/console.log", qmpPath: "/d/qmp.sock",
            pidPath: "/d/qemu.pid", loadvm: loadvm)
    }

    @Test(arguments: [("flotilla-s1", ["-loadvm", "flotilla-s1"]), (nil, [])] as [(String?, [String])])
    func theFirstStartOfARestoredVMLoadsItsSnapshot(tag: String?, expected: [String]) {
        let arguments = Self.commandLine(loadvm: tag).arguments
        #expect(Array(arguments.suffix(expected.count)) == expected)
        #expect(arguments.contains("-loadvm") == (tag != nil))
    }

    @Test func saveAndDeleteJobArguments() {
        #expect(
            QEMUSnapshotQMP.saveArguments(jobId: "j1", tag: "flotilla-s1", vmstate: "#block1", devices: ["#block1", "#block5"]) == [
                "job-id": .string("j1"), "tag": .string("flotilla-s1"), "vmstate": .string("#block1"),
                "devices": .array([.string("#block1"), .string("#block5")]),
            ])
        #expect(
            QEMUSnapshotQMP.deleteArguments(jobId: "j2", tag: "flotilla-s1", devices: ["#block1"]) == [
                "job-id": .string("j2"), "tag": .string("flotilla-s1"), "devices": .array([.string("#block1")]),
            ])
        #expect(QEMUSnapshotQMP.tag(for: "s1") == "flotilla-s1")
    }

    @Test(
        arguments: [
            (true, [DiskSpec(id: "a", sizeBytes: 1), DiskSpec(id: "b", image: "i", readOnly: true)], ["root", "disk-a"]),
            (false, [DiskSpec(id: "a", sizeBytes: 1)], ["disk-a"]),
            (false, [], []),
        ] as [(Bool, [DiskSpec], [String])])
    func theWritableQcow2DrivesHoldTheSnapshotRootFirst(hasDisk: Bool, disks: [DiskSpec], expected: [String]) {
        #expect(QEMUSnapshotQMP.drives(hasDisk: hasDisk, disks: disks) == expected)
    }

    static func block(_ device: String, node: String, readOnly: Bool) -> JSONValue {
        .object(["device": .string(device), "inserted": .object(["node-name": .string(node), "ro": .bool(readOnly)])])
    }

    @Test func nodeNamesComeFromQueryBlockInTheDrivesOrder() throws {
        let blocks = JSONValue.array([
            Self.block("cidata", node: "#block3", readOnly: true), Self.block("disk-a", node: "#block7", readOnly: false),
            Self.block("root", node: "#block1", readOnly: false), .object(["device": .string("empty")]),
        ])
        #expect(try QEMUSnapshotQMP.nodeNames(of: ["root", "disk-a"], in: blocks) == ["#block1", "#block7"])
        #expect(throws: QEMUSnapshotFailure("QEMU shows no drive disk-b with a medium")) {
            try QEMUSnapshotQMP.nodeNames(of: ["root", "disk-b"], in: blocks)
        }
        #expect(throws: QEMUSnapshotFailure("QEMU opened drive cidata read-only")) {
            try QEMUSnapshotQMP.nodeNames(of: ["cidata"], in: blocks)
        }
    }

    static func jobs(_ status: String, error: String? = nil) -> JSONValue {
        var job: [String: JSONValue] = ["id": .string("j1"), "status": .string(status), "type": .string("snapshot-save")]
        if let error { job["error"] = .string(error) }
        return .array([.object(["id": .string("other"), "status": .string("concluded")]), .object(job)])
    }

    @Test(
        arguments: [
            (jobs("running"), QEMUSnapshotQMP.JobState.running("running")),
            (jobs("concluded"), .concluded),
            (
                jobs("concluded", error: "Device 'x' is writable but does not support snapshots"),
                .failed("Device 'x' is writable but does not support snapshots")
            ),
            (JSONValue.array([]), .missing),
        ] as [(JSONValue, QEMUSnapshotQMP.JobState)])
    func jobStateFromQueryJobs(jobs: JSONValue, expected: QEMUSnapshotQMP.JobState) {
        #expect(QEMUSnapshotQMP.jobState("j1", in: jobs) == expected)
    }

    @Test(
        arguments: [
            ("/var/kvm/snapshots/s1", "/var/kvm/snapshots/s1"),
            ("/var/kvm/snapshots/x/../s2", "/var/kvm/snapshots/s2"),
            ("/var/kvm/snapshots/../vm1", nil),
            ("/var/kvm/snapshots", nil),
            ("/var/kvm/vm1", nil),
            ("/etc", nil),
            ("/var/kvm/snapshots/.hidden", nil),
            ("/var/kvm/snapshots/s1/overlay.qcow2", nil),
        ] as [(String, String?)])
    func onlyAFolderDirectlyUnderSnapshotsIsASnapshot(location: String, expected: String?) {
        #expect(QEMUSnapshotFolder(kvmDirectory: "/var/kvm/", location: location)?.directory == expected)
    }

    static func record(memory: Bool, disks: [DiskSpec] = [DiskSpec(id: "data", sizeBytes: 1)]) -> QEMUSnapshotRecord {
        let spec = InstanceSpec(
            config: InstanceConfig(image: "img", disks: disks),
            resources: Resources(cpuCores: 1, memoryBytes: 128 << 20, storageBytes: 64 << 20))
        let instance = QEMUInstanceRecord(
            id: "vm1", name: "vm1", kind: .vm, spec: spec, kernelPath: "/k", initrdPath: nil, rootDiskPath: nil,
            rootDiskFormat: nil, diskBytes: 64 << 20, hasDisk: true, hasCidata: false, createdAt: Date(timeIntervalSince1970: 0))
        return QEMUSnapshotRecord(snapshotId: "s1", instance: instance, tag: memory ? "flotilla-s1" : nil, createdAt: Date())
    }

    static func spec(memoryMiB: Int64 = 128, cpus: Double = 1, disks: [DiskSpec] = [DiskSpec(id: "data", sizeBytes: 1)]) -> InstanceSpec {
        InstanceSpec(
            config: InstanceConfig(image: "other", disks: disks),
            resources: Resources(cpuCores: cpus, memoryBytes: memoryMiB << 20, storageBytes: 1 << 30))
    }

    @Test(
        arguments: [
            (true, spec(), nil),
            (true, spec(memoryMiB: 256), "memory 268435456 bytes, the snapshot's 134217728 bytes"),
            (true, spec(cpus: 2), "2 vCPUs, the snapshot's 1"),
            (true, spec(disks: []), "disks [], the snapshot's [data]"),
            (true, spec(disks: [DiskSpec(id: "data", sizeBytes: 1, readOnly: true)]), "disks [data (read-only)], the snapshot's [data]"),
            (false, spec(memoryMiB: 256, cpus: 2), nil),
            (false, spec(disks: [DiskSpec(id: "logs", sizeBytes: 1)]), "disks [logs], the snapshot's [data]"),
        ] as [(Bool, InstanceSpec, String?)])
    func aSpecMustMatchTheDevicesTheSnapshotSaved(memory: Bool, spec: InstanceSpec, expected: String?) {
        #expect(Self.record(memory: memory).mismatch(with: spec) == expected)
    }
}
