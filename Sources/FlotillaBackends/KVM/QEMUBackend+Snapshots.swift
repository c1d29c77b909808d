import FlotillaCore
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Snapshots of kvm instances (docs/decisions/0028-snapshots.md), kept in `<kvm dir>/snapshots/<snapshot id>/`
/// (``QEMUSnapshotFolder``).
///
/// A running or paused VM: the guest is paused (QMP `stop`), its memory and device state is saved as an internal
/// qcow2 snapshot (a `snapshot-save` job: the vmstate on the root overlay, the snapshot on every writable qcow2
/// drive), each qcow2 file is copied (sparse) into the folder, the internal snapshot is dropped from the live files
/// again (`snapshot-delete`, so that the live disks do not grow), and the guest goes on (`cont`) if it was running.
/// A stopped VM: its qcow2 files are copied (no memory). Any failure resumes the guest as it was, drops the internal
/// snapshot, removes the partial folder and throws `BackendError.failed("snapshot of X failed while <step>: ...")`.
///
/// An instance made from a snapshot gets copies of its files; with memory, its record keeps the internal snapshot's
/// tag and its first start launches QEMU with `-loadvm <tag>`: the guest goes on where it was. That start clears the
/// mark and drops the internal snapshot from the new instance's files; later starts boot.
extension QEMUBackend: Snapshotting {
    /// How long a `snapshot-save` or `snapshot-delete` job may run.
    static let snapshotJobTimeout = Duration.seconds(300)
    /// How long copying one qcow2 file may take.
    static let snapshotCopyTimeout = Duration.seconds(600)

    public func snapshot(id: String, snapshotId: String) async throws -> SnapshotArtifact {
        try await ensureLoaded()
        guard QEMUSnapshotFolder.isValidId(snapshotId) else {
            throw BackendError.invalidRequest(
                "snapshot id \"\(snapshotId)\" must be 1-64 letters, digits, '-', '_' or '.', not starting with '.'")
        }
        let folder = QEMUSnapshotFolder(kvmDirectory: configuration.directory, snapshotId: snapshotId)
        guard !FileManager.default.fileExists(atPath: folder.directory) else {
            throw BackendError.invalidRequest("snapshot \(snapshotId) already exists")
        }
        _ = try existing(id)
        guard !starting.contains(id) else { throw BackendError.invalidRequest("instance \(id) is being started") }
        guard snapshotting.insert(id).inserted else {
            throw BackendError.invalidRequest("a snapshot of instance \(id) is being taken")
        }
        defer { snapshotting.remove(id) }
        let state = try await inspect(id: id).state
        let vm = try existing(id)
        let runs = vm.process?.isRunning == true
        let artifact: SnapshotArtifact
        switch state {
        case .running where runs, .paused where runs:
            artifact = try await snapshotWithMemory(vm, folder, snapshotId, wasRunning: state == .running)
        case .error where runs:
            throw BackendError.invalidRequest("instance \(id) is in error (its QEMU still runs); stop it before a snapshot")
        default:
            artifact = try await snapshotFiles(vm, folder, snapshotId)
        }
        logger.debug(
            "kvm snapshot taken",
            metadata: [
                "id": "\(id)", "snapshot": "\(snapshotId)", "memory": "\(artifact.includesMemory)", "bytes": "\(artifact.sizeBytes)",
            ])
        return artifact
    }

    public func create(_ request: BackendCreateRequest, from artifact: SnapshotArtifact) async throws {
        try await ensureLoaded()
        let folder = try snapshotFolder(artifact.location)
        guard let data = FileManager.default.contents(atPath: folder.record),
            let snapshot = try? JSONDecoder().decode(QEMUSnapshotRecord.self, from: data)
        else { throw BackendError.invalidRequest("no kvm snapshot at \(artifact.location)") }
        guard vms[request.id] == nil else { throw BackendError.invalidRequest("instance \(request.id) already exists") }
        if let other = vms.values.first(where: { $0.record.name == request.name }) {
            throw BackendError.invalidRequest("the name \(request.name) is already used by instance \(other.record.id)")
        }
        try Self.validate(request.spec.resources)
        if let difference = snapshot.mismatch(with: request.spec) {
            throw BackendError.invalidRequest("the instance does not match snapshot \(snapshot.snapshotId): \(difference)")
        }
        try checkInterfaces(request)
        // The base files come from this host's catalog (on another host than the holder they have other paths);
        // the copied qcow2 files are pointed at them below when the paths differ.
        let local = try Self.artifacts(for: request)
        let source = snapshot.instance
        let files = try newInstanceFiles(request.id, placement: .default)
        var record = QEMUInstanceRecord(
            id: request.id, name: request.name, kind: request.kind, spec: request.spec, kernelPath: local.kernelPath,
            initrdPath: local.initrdPath, rootDiskPath: local.rootDiskPath, rootDiskFormat: local.rootDiskFormat ?? source.rootDiskFormat,
            diskBytes: source.diskBytes, hasDisk: source.hasDisk, hasCidata: false, createdAt: Date(),
            diskImages: request.diskImages.isEmpty ? nil : request.diskImages, networks: request.networks.isEmpty ? nil : request.networks)
        record.diskFolder = files.sharesDisks ? files.diskDirectory : nil
        record.resumeSnapshotTag = snapshot.tag
        // Reserve the id before the first suspension point.
        vms[request.id] = VM(record: record, files: files)
        do {
            try makeFolders(files, id: request.id, placement: .default)
            for (from, to) in Self.snapshotCopies(source, instance: files, snapshot: folder, toSnapshot: false) {
                try await copySparse(from, to)
            }
            try await rebase(Self.movedBases(from: source, to: record, files: files))
            record.hasCidata = try await prepareCidata(record, files)
            try save(record, files)
            vms[request.id]?.record = record
        } catch {
            vms[request.id] = nil
            try? FileManager.default.removeItem(atPath: files.directory)
            if files.sharesDisks { try? FileManager.default.removeItem(atPath: files.diskDirectory) }
            if let e = error as? BackendError { throw e }
            throw BackendError.failed("cannot make kvm instance \(request.id) from snapshot \(snapshot.snapshotId): \(error)")
        }
        logger.debug("kvm instance created from a snapshot", metadata: ["id": "\(request.id)", "snapshot": "\(snapshot.snapshotId)"])
    }

    public nonisolated func exportSnapshot(_ artifact: SnapshotArtifact, write: ([UInt8]) async throws -> Void) async throws {
        let folder = try await exportableFolder(artifact.location)
        guard let tar = Subprocess.which("tar") else { throw BackendError.unavailable("tar is not installed") }
        try await QEMUSnapshotArchive.export(
            root: folder.root, name: URL(fileURLWithPath: folder.directory).lastPathComponent, tar: tar, write: write)
    }

    public func importSnapshot(_ snapshotId: String, as localId: String, from source: SnapshotByteSource) async throws
        -> SnapshotArtifact
    {
        try await ensureLoaded()
        for id in [snapshotId, localId] where !QEMUSnapshotFolder.isValidId(id) {
            throw BackendError.invalidRequest("snapshot id \"\(id)\" must be 1-64 letters, digits, '-', '_' or '.', not starting with '.'")
        }
        let folder = QEMUSnapshotFolder(kvmDirectory: configuration.directory, snapshotId: localId)
        guard !FileManager.default.fileExists(atPath: folder.directory) else {
            throw BackendError.invalidRequest("snapshot \(localId) already exists on this host")
        }
        guard let tar = Subprocess.which("tar") else { throw BackendError.unavailable("tar is not installed") }
        do {
            try FileManager.default.createDirectory(atPath: folder.root, withIntermediateDirectories: true)
            try await QEMUSnapshotArchive.importArchive(
                snapshotId: snapshotId, scratch: folder.root + "/.incoming-" + localId, destination: folder.directory, tar: tar,
                timeout: Self.snapshotCopyTimeout, from: source)
        } catch {
            throw BackendError.failed("cannot keep a copy of snapshot \(snapshotId) here: \(error)")
        }
        let record = try? JSONDecoder().decode(QEMUSnapshotRecord.self, from: Data(contentsOf: URL(fileURLWithPath: folder.record)))
        logger.debug("kvm snapshot copied here", metadata: ["snapshot": "\(snapshotId)", "as": "\(localId)"])
        return SnapshotArtifact(
            location: folder.directory, sizeBytes: Self.allocatedBytes(under: folder.directory),
            includesMemory: record?.includesMemory ?? false)
    }

    public func deleteSnapshot(_ artifact: SnapshotArtifact) async throws {
        let folder = try snapshotFolder(artifact.location)
        guard FileManager.default.fileExists(atPath: folder.directory) else { return }
        do { try FileManager.default.removeItem(atPath: folder.directory) } catch {
            throw BackendError.failed("cannot remove snapshot \(folder.directory): \(error)")
        }
    }

    /// Called by the first successful start of an instance made from a snapshot with memory (QEMU has loaded the
    /// state): clears the mark, so that later starts boot, and drops the internal snapshot from the instance's files.
    func resumedFromSnapshot(_ id: String) async {
        guard let vm = vms[id], let tag = vm.record.resumeSnapshotTag else { return }
        vms[id]?.record.resumeSnapshotTag = nil
        var record = vm.record
        record.resumeSnapshotTag = nil
        do { try save(record, vm.files) } catch {
            logger.warning("cannot save the record of an instance resumed from a snapshot", metadata: ["id": "\(id)", "error": "\(error)"])
        }
        do {
            let blocks = try await qmp(vm, "query-block")
            let nodes = try QEMUSnapshotQMP.nodeNames(of: QEMUSnapshotQMP.drives(hasDisk: record.hasDisk, disks: record.disks), in: blocks)
            let jobId = "flotilla-resumed-\(UUID().uuidString.prefix(8).lowercased())"
            try await runSnapshotJob(
                vm, "snapshot-delete", jobId: jobId, QEMUSnapshotQMP.deleteArguments(jobId: jobId, tag: tag, devices: nodes))
        } catch {
            logger.warning(
                "cannot drop the internal snapshot of an instance resumed from it", metadata: ["id": "\(id)", "error": "\(error)"])
        }
    }

    // MARK: - Steps

    private func snapshotWithMemory(
        _ vm: VM, _ folder: QEMUSnapshotFolder, _ snapshotId: String, wasRunning: Bool
    ) async throws -> SnapshotArtifact {
        let id = vm.record.id
        let drives = QEMUSnapshotQMP.drives(hasDisk: vm.record.hasDisk, disks: vm.record.disks)
        guard !drives.isEmpty else {
            throw BackendError.invalidRequest(
                "instance \(id) has no writable disk to keep its memory in; stop it for a snapshot of its files")
        }
        let tag = QEMUSnapshotQMP.tag(for: snapshotId)
        var step = "pausing the guest"
        var paused = false
        var nodes: [String] = []
        var saved = false
        do {
            if wasRunning {
                try await qmp(vm, "stop")
                paused = true
                vms[id]?.qmpStatus = .paused
            }
            step = "finding its writable drives"
            nodes = try QEMUSnapshotQMP.nodeNames(of: drives, in: try await qmp(vm, "query-block"))
            step = "saving its memory and disks (snapshot-save)"
            let save = QEMUSnapshotQMP.saveJobId(snapshotId)
            try await runSnapshotJob(
                vm, "snapshot-save", jobId: save, QEMUSnapshotQMP.saveArguments(jobId: save, tag: tag, vmstate: nodes[0], devices: nodes))
            saved = true
            try await writeSnapshotFolder(vm.record, folder, snapshotId, tag: tag, step: &step)
            step = "dropping the internal snapshot from its disks (snapshot-delete)"
            let delete = QEMUSnapshotQMP.deleteJobId(snapshotId)
            try await runSnapshotJob(
                vm, "snapshot-delete", jobId: delete, QEMUSnapshotQMP.deleteArguments(jobId: delete, tag: tag, devices: nodes))
            saved = false
            if paused {
                step = "resuming the guest"
                try await qmp(vm, "cont")
                paused = false
                vms[id]?.qmpStatus = .running
            }
        } catch {
            try? FileManager.default.removeItem(atPath: folder.directory)
            if saved {
                let delete = QEMUSnapshotQMP.deleteJobId(snapshotId)
                do {
                    try await runSnapshotJob(
                        vm, "snapshot-delete", jobId: delete, QEMUSnapshotQMP.deleteArguments(jobId: delete, tag: tag, devices: nodes))
                } catch {
                    logger.warning("cannot drop a failed snapshot's internal snapshot", metadata: ["id": "\(id)", "error": "\(error)"])
                }
            }
            if paused {
                do {
                    try await qmp(vm, "cont")
                    vms[id]?.qmpStatus = .running
                } catch {
                    logger.warning("cannot resume the guest after a failed snapshot", metadata: ["id": "\(id)", "error": "\(error)"])
                }
            }
            throw BackendError.failed("snapshot of \(id) failed while \(step): \(error)")
        }
        return SnapshotArtifact(location: folder.directory, sizeBytes: Self.allocatedBytes(under: folder.directory), includesMemory: true)
    }

    private func snapshotFiles(_ vm: VM, _ folder: QEMUSnapshotFolder, _ snapshotId: String) async throws -> SnapshotArtifact {
        // An instance made from a snapshot and never started still holds that snapshot's memory: keep it.
        let tag = vm.record.resumeSnapshotTag
        var step = "copying its disks"
        do {
            try await writeSnapshotFolder(vm.record, folder, snapshotId, tag: tag, step: &step)
        } catch {
            try? FileManager.default.removeItem(atPath: folder.directory)
            throw BackendError.failed("snapshot of \(vm.record.id) failed while \(step): \(error)")
        }
        return SnapshotArtifact(
            location: folder.directory, sizeBytes: Self.allocatedBytes(under: folder.directory), includesMemory: tag != nil)
    }

    /// Makes the snapshot folder: copies of the instance's qcow2 files, then the record.
    private func writeSnapshotFolder(
        _ record: QEMUInstanceRecord, _ folder: QEMUSnapshotFolder, _ snapshotId: String, tag: String?, step: inout String
    ) async throws {
        step = "creating the snapshot folder"
        try FileManager.default.createDirectory(atPath: folder.directory, withIntermediateDirectories: true)
        let files = QEMUInstanceFiles(root: configuration.directory, id: record.id, diskDirectory: record.diskFolder)
        for (from, to) in Self.snapshotCopies(record, instance: files, snapshot: folder, toSnapshot: true) {
            step = "copying \((from as NSString).lastPathComponent)"
            try await copySparse(from, to)
        }
        step = "writing the snapshot record"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let snapshot = QEMUSnapshotRecord(snapshotId: snapshotId, instance: record, tag: tag, createdAt: Date())
        try encoder.encode(snapshot).write(to: URL(fileURLWithPath: folder.record), options: .atomic)
    }

    /// The qcow2 files a snapshot keeps, as (from, to) pairs: the root overlay and every additional disk.
    static func snapshotCopies(
        _ record: QEMUInstanceRecord, instance: QEMUInstanceFiles, snapshot: QEMUSnapshotFolder, toSnapshot: Bool
    ) -> [(String, String)] {
        var pairs: [(String, String)] = record.hasDisk ? [(instance.overlay, snapshot.overlay)] : []
        pairs += record.disks.map { (instance.disk($0.id), snapshot.disk($0.id)) }
        return toSnapshot ? pairs : pairs.map { ($0.1, $0.0) }
    }

    /// The copied qcow2 files whose base is at another path here than where the snapshot was taken, as (file, new
    /// base, its format): the root overlay on the image's root disk, each additional disk on its catalog image.
    static func movedBases(
        from source: QEMUInstanceRecord, to record: QEMUInstanceRecord, files: QEMUInstanceFiles
    ) -> [(file: String, base: String, format: String)] {
        var moved: [(file: String, base: String, format: String)] = []
        if record.hasDisk, let base = record.rootDiskPath, let old = source.rootDiskPath, base != old {
            moved.append((files.overlay, base, record.rootDiskFormat ?? record.spec.config.diskFormat ?? "qcow2"))
        }
        for disk in record.disks {
            if let image = record.diskImages?[disk.id], let old = source.diskImages?[disk.id], image.path != old.path {
                moved.append((files.disk(disk.id), image.path, image.format))
            }
        }
        return moved
    }

    /// Points each copied file at its base on this host (`qemu-img rebase -u`: the base's content is the same image).
    private func rebase(_ moved: [(file: String, base: String, format: String)]) async throws {
        guard !moved.isEmpty else { return }
        guard let qemuImg = Subprocess.which(configuration.qemuImgPath) else {
            throw BackendError.unavailable("\(configuration.qemuImgPath) is not installed")
        }
        for (file, base, format) in moved {
            _ = try await Subprocess.run(qemuImg, ["rebase", "-u", "-F", format, "-b", base, file], timeout: .seconds(60))
        }
    }

    /// The folder of a snapshot kept here, for an export.
    private func exportableFolder(_ location: String) throws -> QEMUSnapshotFolder {
        let folder = try snapshotFolder(location)
        guard FileManager.default.fileExists(atPath: folder.record) else {
            throw BackendError.invalidRequest("no kvm snapshot at \(location)")
        }
        return folder
    }

    /// Runs a QMP job command and waits until it has concluded (each exchange with the QMP deadline, the whole
    /// job with ``snapshotJobTimeout``); throws QEMU's error. The concluded job is dismissed.
    private func runSnapshotJob(_ vm: VM, _ command: String, jobId: String, _ arguments: [String: JSONValue]) async throws {
        let socket = vm.files.qmpSocket
        let timeout = configuration.qmpTimeout
        try await QMPClient.execute(socketPath: socket, command, arguments: arguments, timeout: timeout)
        let deadline = ContinuousClock.now + Self.snapshotJobTimeout
        var failedQueries = 0
        while true {
            // The job runs on in QEMU whatever happens to one connection: a lost exchange is asked again (up to 3
            // in a row), so that the job is not left behind undismissed.
            let jobs: JSONValue
            do {
                jobs = try await QMPClient.execute(socketPath: socket, "query-jobs", timeout: timeout)
                failedQueries = 0
            } catch let error as QMPError {
                if case .commandFailed = error { throw error }
                failedQueries += 1
                guard failedQueries < 3 else { throw error }
                logger.debug("query-jobs failed, asking again", metadata: ["job": "\(jobId)", "error": "\(error)"])
                try await Task.sleep(for: .milliseconds(50))
                continue
            }
            switch QEMUSnapshotQMP.jobState(jobId, in: jobs) {
            case .concluded:
                try await QMPClient.execute(socketPath: socket, "job-dismiss", arguments: ["id": .string(jobId)], timeout: timeout)
                return
            case .failed(let why):
                _ = try? await QMPClient.execute(socketPath: socket, "job-dismiss", arguments: ["id": .string(jobId)], timeout: timeout)
                throw QEMUSnapshotFailure(why)
            case .missing:
                throw QEMUSnapshotFailure("QEMU lost job \(jobId)")
            case .running(let status):
                guard ContinuousClock.now < deadline else {
                    _ = try? await QMPClient.execute(socketPath: socket, "job-cancel", arguments: ["id": .string(jobId)], timeout: timeout)
                    throw QEMUSnapshotFailure("\(command) was still \(status) after \(Self.snapshotJobTimeout)")
                }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// Copies a file keeping its holes (`cp --sparse=always`), with a deadline.
    private func copySparse(_ from: String, _ to: String) async throws {
        guard let cp = Subprocess.which("cp") else { throw QEMUSnapshotFailure("cp is not installed") }
        _ = try await Subprocess.run(cp, ["--sparse=always", "--", from, to], timeout: Self.snapshotCopyTimeout)
    }

    private func snapshotFolder(_ location: String) throws(BackendError) -> QEMUSnapshotFolder {
        guard let folder = QEMUSnapshotFolder(kvmDirectory: configuration.directory, location: location) else {
            throw BackendError.invalidRequest(
                "\(location) is not a kvm snapshot of this host (they live in \(QEMUSnapshotFolder.root(kvmDirectory: configuration.directory)))"
            )
        }
        return folder
    }

    /// The bytes the files directly in `directory` take on disk (holes excluded).
    static func allocatedBytes(under directory: String) -> Int64 {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.reduce(Int64(0)) { sum, name in
            var info = stat()
            guard stat(directory + "/" + name, &info) == 0 else { return sum }
            return sum + Int64(info.st_blocks) * 512
        }
    }
}
