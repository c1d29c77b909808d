import FlotillaCore
import Foundation

/// The QMP side of a kvm snapshot, pure so that it is table-tested: the arguments of the `snapshot-save` and
/// `snapshot-delete` jobs (QEMU 6.0+), the block nodes of the drives they act on (from `query-block`), and a job's
/// state (from `query-jobs`).
enum QEMUSnapshotQMP {
    /// Where a job is.
    enum JobState: Sendable, Equatable {
        /// Not concluded yet (QEMU's status: created, running, pending...).
        case running(String)
        case concluded
        /// Concluded with QEMU's error.
        case failed(String)
        /// No job with that id.
        case missing
    }

    /// The internal snapshot tag of snapshot `snapshotId`.
    static func tag(for snapshotId: String) -> String { "flotilla-\(snapshotId)" }

    /// A job id QEMU has not seen yet: ids stay taken until the job is dismissed, so each job gets its own.
    static func saveJobId(_ snapshotId: String) -> String { "flotilla-save-\(snapshotId)-\(uniqueSuffix())" }
    static func deleteJobId(_ snapshotId: String) -> String { "flotilla-delete-\(snapshotId)-\(uniqueSuffix())" }

    private static func uniqueSuffix() -> String { String(UUID().uuidString.prefix(8)).lowercased() }

    /// The drives (`-drive id=...`) an internal snapshot covers: the writable qcow2 ones, the root overlay first (it
    /// also holds the vmstate). Read-only disks and the raw cidata volume are left out, as QEMU's `loadvm` leaves
    /// them out.
    static func drives(hasDisk: Bool, disks: [DiskSpec]) -> [String] {
        (hasDisk ? ["root"] : []) + disks.filter { !$0.readOnly }.map { "disk-\($0.id)" }
    }

    /// `snapshot-save`: the state of the VM into `vmstate`'s node, an internal snapshot `tag` on every node of
    /// `devices`.
    static func saveArguments(jobId: String, tag: String, vmstate: String, devices: [String]) -> [String: JSONValue] {
        ["job-id": .string(jobId), "tag": .string(tag), "vmstate": .string(vmstate), "devices": .array(devices.map(JSONValue.string))]
    }

    /// `snapshot-delete`: drops internal snapshot `tag` from every node of `devices`.
    static func deleteArguments(jobId: String, tag: String, devices: [String]) -> [String: JSONValue] {
        ["job-id": .string(jobId), "tag": .string(tag), "devices": .array(devices.map(JSONValue.string))]
    }

    /// The block node of each drive in `drives`, in order, from a `query-block` answer; throws naming a drive that
    /// is missing, has no medium or is read-only.
    static func nodeNames(of drives: [String], in blocks: JSONValue) throws(QEMUSnapshotFailure) -> [String] {
        var nodes: [String: String] = [:]
        var readOnly: Set<String> = []
        if case .array(let list) = blocks {
            for case .object(let block) in list {
                guard case .string(let device)? = block["device"], case .object(let inserted)? = block["inserted"],
                    case .string(let node)? = inserted["node-name"]
                else { continue }
                nodes[device] = node
                if inserted["ro"] == .bool(true) { readOnly.insert(device) }
            }
        }
        return try drives.map { drive throws(QEMUSnapshotFailure) in
            guard let node = nodes[drive] else { throw QEMUSnapshotFailure("QEMU shows no drive \(drive) with a medium") }
            guard !readOnly.contains(drive) else { throw QEMUSnapshotFailure("QEMU opened drive \(drive) read-only") }
            return node
        }
    }

    /// The state of job `id` in a `query-jobs` answer.
    static func jobState(_ id: String, in jobs: JSONValue) -> JobState {
        guard case .array(let list) = jobs else { return .missing }
        for case .object(let job) in list where job["id"] == .string(id) {
            guard case .string(let status)? = job["status"] else { return .running("unknown") }
            guard status == "concluded" || status == "null" else { return .running(status) }
            if case .string(let error)? = job["error"] { return .failed(error) }
            return .concluded
        }
        return .missing
    }
}
