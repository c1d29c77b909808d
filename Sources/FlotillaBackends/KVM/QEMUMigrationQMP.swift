import FlotillaCore

/// The QMP arguments a live migration sends and the answers it reads (docs/decisions/0027-live-migration.md). Pure:
/// table-tested. The destination serves each mirrored drive over NBD under the drive's own name; the source adds an
/// NBD node per drive (``nodeName(_:)``) and mirrors the drive into it with job ``jobId(_:)``.
enum QEMUMigrationQMP {
    /// The longest pause of the guest at the switch that QEMU aims for (its own default).
    static let downtimeLimitMilliseconds: Int64 = 300
    /// The memory stream's bandwidth cap in bytes per second: generous, for loopback and a LAN.
    static let maxBandwidth: Int64 = 8 << 30

    /// The drives whose content moves: the per-instance disk (`root`) and every writable additional disk. The cidata
    /// volume and read-only disks are made again on the destination from what the record says.
    static func mirroredDrives(hasDisk: Bool, disks: [DiskSpec]) -> [String] {
        (hasDisk ? ["root"] : []) + disks.filter { !$0.readOnly }.map { "disk-\($0.id)" }
    }

    static func nodeName(_ drive: String) -> String { "migrate-\(drive)" }
    static func jobId(_ drive: String) -> String { "mirror-\(drive)" }

    /// `migrate-incoming` and `migrate`: the stream over a unix socket.
    static func uri(socket: String) -> [String: JSONValue] { ["uri": .string("unix:" + socket)] }

    /// `nbd-server-start` on a unix socket (its `addr` is QEMU's legacy socket address, with `data`).
    static func diskServer(socket: String) -> [String: JSONValue] {
        ["addr": .object(["type": .string("unix"), "data": .object(["path": .string(socket)])])]
    }

    /// `nbd-server-add`: the drive, writable, exported under its own name.
    static func export(_ drive: String) -> [String: JSONValue] { ["device": .string(drive), "writable": .bool(true)] }

    /// `blockdev-add`: an NBD client node on the destination's export of `drive`, through `socket`.
    static func target(_ drive: String, socket: String) -> [String: JSONValue] {
        [
            "driver": .string("nbd"), "node-name": .string(nodeName(drive)),
            "server": .object(["type": .string("unix"), "path": .string(socket)]), "export": .string(drive),
        ]
    }

    /// `blockdev-mirror`: the whole drive (sync full, backing files included) into its NBD node. `write-blocking`:
    /// once the mirror is ready, every guest write reaches the destination before it completes, so nothing is left
    /// to copy when the memory's switch-over pauses the guest and the destination's guest starts.
    static func mirror(_ drive: String) -> [String: JSONValue] {
        [
            "job-id": .string(jobId(drive)), "device": .string(drive), "target": .string(nodeName(drive)), "sync": .string("full"),
            "copy-mode": .string("write-blocking"),
        ]
    }

    /// `migrate-set-capabilities` of the source: `return-path`, so that the destination reports back whether it
    /// loaded the stream. Without it the source calls the migration completed once it wrote the last byte into its
    /// socket, although the destination may still fail to load it (the tunnel cut, a short read): the source would
    /// then end a guest that runs nowhere. With it, such a failure fails the migration and the source resumes.
    static var capabilities: [String: JSONValue] {
        ["capabilities": .array([.object(["capability": .string("return-path"), "state": .bool(true)])])]
    }

    /// `migrate-set-parameters`.
    static var parameters: [String: JSONValue] {
        ["downtime-limit": .int(downtimeLimitMilliseconds), "max-bandwidth": .int(maxBandwidth)]
    }

    /// One block job of `query-block-jobs`.
    struct Job: Sendable, Equatable {
        var id: String
        var ready: Bool
        var status: String
        var offset: Int64
        var length: Int64
        var error: String?
    }

    static func jobs(_ answer: JSONValue) -> [Job] {
        guard case .array(let list) = answer else { return [] }
        return list.compactMap { item in
            guard case .object(let f) = item, case .string(let id)? = f["device"] else { return nil }
            return Job(
                id: id, ready: f["ready"] == .bool(true), status: string(f["status"]) ?? "unknown", offset: int(f["offset"]) ?? 0,
                length: int(f["len"]) ?? 0, error: string(f["error"]))
        }
    }

    /// Where `query-migrate` says the memory migration is.
    enum Progress: Sendable, Equatable {
        /// Under way (or not started): QEMU's status word.
        case active(String)
        case completed(MigrationFigures)
        case failed(String)
    }

    /// The progress in a `query-migrate` answer; a completed one carries QEMU's figures (total time, downtime, bytes
    /// of memory sent) with the disks' given here.
    static func progress(_ answer: JSONValue, diskMilliseconds: Int64, diskBytes: Int64) -> Progress {
        guard case .object(let f) = answer, let status = string(f["status"]) else { return .active("none") }
        switch status {
        case "completed":
            var memory: Int64 = 0
            if case .object(let ram)? = f["ram"] { memory = int(ram["transferred"]) ?? 0 }
            return .completed(
                MigrationFigures(
                    totalMilliseconds: int(f["total-time"]) ?? 0, downtimeMilliseconds: int(f["downtime"]) ?? 0,
                    diskMilliseconds: diskMilliseconds, memoryBytes: memory, diskBytes: diskBytes))
        case "failed", "cancelled":
            return .failed(string(f["error-desc"]) ?? "the migration is \(status)")
        default:
            return .active(status)
        }
    }

    /// Whether a QMP run state is a pause that the migration caused (the source's guest is resumed after a failure).
    static func pausedByMigration(_ status: String) -> Bool {
        ["finish-migrate", "postmigrate", "paused"].contains(status)
    }

    /// The `status` of a `query-status` answer.
    static func runState(_ answer: JSONValue) -> String? {
        guard case .object(let f) = answer else { return nil }
        return string(f["status"])
    }

    private static func string(_ value: JSONValue?) -> String? {
        if case .string(let s)? = value { return s }
        return nil
    }

    private static func int(_ value: JSONValue?) -> Int64? {
        switch value {
        case .int(let i)?: return i
        case .double(let d)?: return Int64(d)
        default: return nil
        }
    }
}
