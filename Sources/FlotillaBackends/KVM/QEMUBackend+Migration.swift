import FlotillaCore
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Live migration of kvm instances (docs/decisions/0027-live-migration.md): QEMU's own migration stream for memory
/// and a block mirror per writable drive into an NBD server of the destination's QEMU, each carried between the hosts
/// by a ``MigrationTunnelListener`` (destination) and a ``MigrationTunnelDialer`` (source) over unix sockets in the
/// instance folders.
///
/// - destination: ``prepareIncoming(_:listenHost:sharedStorage:)`` creates the instance as `create` does, but with blank qcow2 files
///   of the same size for the drives whose content is mirrored, marks its record incoming, makes its network devices
///   and launches QEMU with the command line of `start` plus `-incoming defer`, then opens the memory channel
///   (`migrate-incoming`) and the disk server (`nbd-server-start`, `nbd-server-add` per drive) and their listeners;
/// - source: ``migrateOut(id:to:timeout:)`` mirrors each drive (`blockdev-add` of an NBD node, `blockdev-mirror`
///   sync full, `write-blocking`) until every job is ready, then `migrate`s with the `return-path` capability (the
///   migration completes only once the destination loaded the whole stream: a stream cut on the way fails it here,
///   with the guest still here) and polls `query-migrate`; at completion it cancels the ready mirrors (which leaves
///   the destination's disks identical), and ends its QEMU. On any failure it cancels the migration and the mirrors
///   and resumes the guest if the migration paused it;
/// - destination: ``completeIncoming(id:timeout:)`` waits for its guest to run, stops the disk server, closes the
///   listeners and clears the mark; ``abortIncoming(id:)`` removes an incoming instance that did not complete.
extension QEMUBackend: LiveMigrating {
    public func prepareIncoming(
        _ request: BackendCreateRequest, listenHost: String, sharedStorage sourceStorage: String?
    ) async throws -> IncomingMigration {
        try await ensureLoaded()
        let id = request.id
        guard migrations.begin(id) else { throw BackendError.invalidRequest("a migration of instance \(id) is already under way") }
        defer { migrations.end(id) }
        let placement = await incomingPlacement(request, sourceStorage: sourceStorage)
        try await create(request, placement: placement)
        do {
            let vm = try existing(id)
            var record = vm.record
            let files = vm.files
            let shared = placement == .sourceShared
            let drives = shared ? [] : QEMUMigrationQMP.mirroredDrives(hasDisk: record.hasDisk, disks: record.disks)
            if !shared { try await blankMirroredDrives(record, files) }
            record.incoming = true
            try save(record, files)
            vms[id]?.record = record
            try await start(id: id)
            let token = Self.migrationToken()
            try await migrationQMP(files, "migrate-incoming", QEMUMigrationQMP.uri(socket: files.migrationIn))
            if !drives.isEmpty {
                try await migrationQMP(files, "nbd-server-start", QEMUMigrationQMP.diskServer(socket: files.disksIn))
                for drive in drives { try await migrationQMP(files, "nbd-server-add", QEMUMigrationQMP.export(drive)) }
            }
            let tls = configuration.migrationTLS.server
            let memory = try await MigrationTunnelListener.open(
                host: listenHost, token: token, socketPath: files.migrationIn, tls: tls, logger: logger)
            migrations.add(memory, for: id)
            var diskAddress: String?
            if !drives.isEmpty {
                let disks = try await MigrationTunnelListener.open(
                    host: listenHost, token: token, socketPath: files.disksIn, tls: tls, logger: logger)
                migrations.add(disks, for: id)
                diskAddress = disks.address
            }
            logger.info(
                "kvm instance waits for a live migration",
                metadata: ["id": "\(id)", "memory": "\(memory.address)", "disks": "\(diskAddress ?? "-")", "drives": "\(drives)"])
            var incoming = IncomingMigration(
                instanceId: id, migrationAddress: memory.address, diskAddress: diskAddress, disks: drives, token: token)
            incoming.sharedDisks = shared ? true : nil
            return incoming
        } catch {
            await removeIncoming(id)
            throw BackendError.failed("cannot prepare the incoming migration of \(id): \(Self.reason(error))")
        }
    }

    public func migrateOut(id: String, to incoming: IncomingMigration, timeout: Duration) async throws -> MigrationFigures {
        try await ensureLoaded()
        let vm = try existing(id)
        guard let process = vm.process, process.isRunning else {
            throw BackendError.invalidRequest("instance \(id) is not running: there is no guest to migrate live")
        }
        guard vm.record.incoming != true else {
            throw BackendError.invalidRequest("instance \(id) is itself waiting for an incoming migration")
        }
        guard migrations.begin(id) else { throw BackendError.invalidRequest("a migration of instance \(id) is already under way") }
        defer { migrations.end(id) }
        let files = vm.files
        // On storage both hosts share, the destination uses these very disks: nothing is mirrored.
        let shared = incoming.sharedDisks == true
        if shared && !files.sharesDisks {
            throw BackendError.invalidRequest("the destination expects shared disks, but instance \(id)'s are in its own folder")
        }
        let drives = shared ? [] : QEMUMigrationQMP.mirroredDrives(hasDisk: vm.record.hasDisk, disks: vm.record.disks)
        let deadline = ContinuousClock.now + timeout
        let wasRunning = (try? await migrationQMP(files, "query-status")).flatMap(QEMUMigrationQMP.runState) == "running"
        var step = "connecting to the destination"
        var jobs: [String] = []
        var nodes: [String] = []
        let figures: MigrationFigures
        do {
            guard incoming.disks == drives else {
                throw QEMUMigrationFailure.reason("the destination serves the drives \(incoming.disks), this instance has \(drives)")
            }
            try await openDialers(id, files, incoming, disks: !drives.isEmpty)
            step = "mirroring the disks"
            let mirrorStart = ContinuousClock.now
            for drive in drives {
                try await migrationQMP(files, "blockdev-add", QEMUMigrationQMP.target(drive, socket: files.disksOut), before: deadline)
                nodes.append(QEMUMigrationQMP.nodeName(drive))
                var arguments = QEMUMigrationQMP.mirror(drive)
                arguments["auto-dismiss"] = .bool(false)
                try await migrationQMP(files, "blockdev-mirror", arguments, before: deadline)
                jobs.append(QEMUMigrationQMP.jobId(drive))
            }
            let diskBytes = try await waitUntilReady(id, files, jobs: jobs, deadline: deadline, timeout: timeout)
            let diskMilliseconds = Self.milliseconds(ContinuousClock.now - mirrorStart)
            step = "moving the memory"
            try await migrationQMP(files, "migrate-set-capabilities", QEMUMigrationQMP.capabilities, before: deadline)
            try await migrationQMP(files, "migrate-set-parameters", QEMUMigrationQMP.parameters, before: deadline)
            try await migrationQMP(files, "migrate", QEMUMigrationQMP.uri(socket: files.migrationOut), before: deadline)
            figures = try await waitForMemory(
                id, files, deadline: deadline, timeout: timeout, diskMilliseconds: diskMilliseconds, diskBytes: diskBytes)
        } catch {
            let reason = Self.reason(error) + tunnelErrors(id)
            logger.warning(
                "live migration failed; the guest stays here", metadata: ["id": "\(id)", "step": "\(step)", "error": "\(reason)"])
            await rollBack(id, files, jobs: jobs, nodes: nodes, resume: wasRunning)
            throw BackendError.failed("live migration of \(id) failed while \(step): \(reason)")
        }
        // The guest runs on the destination now: what is left is tidying up here, which no longer fails the move.
        await settleMirrors(id, files, jobs: jobs, nodes: nodes, force: false)
        await closeDialers(id)
        // The guest stays paused here (QEMU's `postmigrate`) until the cluster deletes this copy or resumes it. Shared
        // disks are this host's no more: deleting this copy leaves them to the destination.
        vms[id]?.qmpStatus = .paused
        if shared { releaseSharedDisks(files, id: id) }
        logger.info(
            "kvm instance migrated live",
            metadata: [
                "id": "\(id)", "total_ms": "\(figures.totalMilliseconds)", "downtime_ms": "\(figures.downtimeMilliseconds)",
                "disk_ms": "\(figures.diskMilliseconds)",
            ])
        return figures
    }

    public func completeIncoming(id: String, timeout: Duration) async throws {
        try await ensureLoaded()
        let vm = try existing(id)
        guard vm.record.incoming == true else {
            if observe(id).state == .running || awaitingActivation.contains(id) { return }
            throw BackendError.invalidRequest("instance \(id) is not waiting for an incoming migration")
        }
        let files = vm.files
        let deadline = ContinuousClock.now + timeout
        // On the source's shared disks the guest stays paused once loaded, until the cluster names this host.
        let shared = vm.record.incomingShared == true
        let loaded = shared ? "paused" : "running"
        var status = "unknown"
        while true {
            guard let process = vms[id]?.process, process.isRunning else {
                throw BackendError.failed(
                    "the incoming QEMU of \(id) ended before its guest ran: \(observe(id).description ?? "no reason")")
            }
            if let answer = try? await migrationQMP(files, "query-status", before: deadline) {
                status = QEMUMigrationQMP.runState(answer) ?? status
                if status == loaded { break }
            }
            guard ContinuousClock.now < deadline else {
                throw BackendError.failed("the incoming guest of \(id) did not run within \(timeout) (QEMU's status: \(status))")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        _ = try? await migrationQMP(files, "nbd-server-stop")
        await closeListeners(id)
        guard var record = vms[id]?.record else { throw BackendError.notFound(id) }
        record.incoming = nil
        record.incomingShared = nil
        do { try save(record, files) } catch { throw BackendError.failed("cannot save instance \(id): \(error)") }
        vms[id]?.record = record
        if shared {
            vms[id]?.qmpStatus = .paused
            awaitingActivation.insert(id)
            logger.info("incoming kvm instance loaded here on shared disks; it runs once this host owns it", metadata: ["id": "\(id)"])
            return
        }
        vms[id]?.qmpStatus = .running
        changes.notify(id)
        logger.info("incoming kvm instance runs here", metadata: ["id": "\(id)"])
    }

    public func abortIncoming(id: String) async {
        try? await ensureLoaded()
        guard let vm = vms[id] else {
            await closeListeners(id)
            return
        }
        guard vm.record.incoming == true else {
            logger.warning("not aborted: the instance is not an incoming one", metadata: ["id": "\(id)"])
            return
        }
        await removeIncoming(id)
    }

    public func incomingInstances() async -> [String] {
        try? await ensureLoaded()
        return vms.filter { $0.value.record.incoming == true }.keys.sorted()
    }

    // MARK: - Destination

    /// Replaces the per-instance disk and every writable additional disk by a blank qcow2 file of the same virtual
    /// size: their content arrives by the mirror (made as `create` makes them first, so the sizes are the same).
    private func blankMirroredDrives(_ record: QEMUInstanceRecord, _ files: QEMUInstanceFiles) async throws {
        var paths = record.disks.filter { !$0.readOnly }.map { files.disk($0.id) }
        if record.hasDisk { paths.insert(files.overlay, at: 0) }
        guard !paths.isEmpty else { return }
        guard let qemuImg = Subprocess.which(configuration.qemuImgPath) else {
            throw BackendError.unavailable("\(configuration.qemuImgPath) is not installed")
        }
        for path in paths {
            let size = try await Self.virtualSize(qemuImg, DiskImage(path: path, format: "qcow2"))
            try FileManager.default.removeItem(atPath: path)
            _ = try await Subprocess.run(qemuImg, ["create", "-q", "-f", "qcow2", path, "\(size)"], timeout: .seconds(60))
        }
    }

    /// Ends an incoming instance: its listeners, its QEMU, its devices and its folder.
    private func removeIncoming(_ id: String) async {
        await closeListeners(id)
        guard vms[id] != nil else { return }
        do {
            try await delete(id: id, force: true)
        } catch {
            logger.warning("could not remove an incoming instance", metadata: ["id": "\(id)", "error": "\(error)"])
        }
    }

    /// Closes every tunnel of this backend (it shuts down; the QEMUs stay, and incoming ones are aborted by the cluster).
    func closeMigrationTunnels() async {
        for id in migrations.ids.sorted() {
            await closeListeners(id)
            await closeDialers(id)
        }
    }

    private func closeListeners(_ id: String) async {
        for listener in migrations.takeListeners(id) { await listener.close() }
    }

    /// A one-time secret for the tunnel's connections: 32 random bytes, hex.
    static func migrationToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    // MARK: - Source

    private func openDialers(_ id: String, _ files: QEMUInstanceFiles, _ incoming: IncomingMigration, disks: Bool) async throws {
        let tls = configuration.migrationTLS.client
        let memory = try await MigrationTunnelDialer.open(
            socketPath: files.migrationOut, to: incoming.migrationAddress, token: incoming.token, tls: tls, logger: logger)
        migrations.add(memory, for: id)
        guard disks else { return }
        guard let address = incoming.diskAddress else {
            throw QEMUMigrationFailure.reason("the destination announced no disk server for the drives \(incoming.disks)")
        }
        let disk = try await MigrationTunnelDialer.open(
            socketPath: files.disksOut, to: address, token: incoming.token, tls: tls, logger: logger)
        migrations.add(disk, for: id)
    }

    private func closeDialers(_ id: String) async {
        for dialer in migrations.takeDialers(id) { await dialer.close() }
    }

    /// What the dialers saw go wrong, if anything, to add to QEMU's own error.
    private func tunnelErrors(_ id: String) -> String {
        let errors = migrations.dialerErrors(id)
        return errors.isEmpty ? "" : " (\(errors.joined(separator: "; ")))"
    }

    /// Polls `query-block-jobs` until every mirror is ready; returns the bytes they copied. A job that ended or
    /// failed fails the migration with QEMU's error.
    private func waitUntilReady(
        _ id: String, _ files: QEMUInstanceFiles, jobs: [String], deadline: ContinuousClock.Instant, timeout: Duration
    ) async throws -> Int64 {
        guard !jobs.isEmpty else { return 0 }
        while true {
            let all = QEMUMigrationQMP.jobs(try await migrationQMP(files, "query-block-jobs", before: deadline))
            var ready: Int64 = 0
            var bytes: Int64 = 0
            for name in jobs {
                guard let job = all.first(where: { $0.id == name }) else {
                    throw QEMUMigrationFailure.reason("the mirror \(name) ended before it was ready")
                }
                if let error = job.error {
                    throw QEMUMigrationFailure.reason("the mirror \(name) failed: \(error)")
                }
                if job.status == "concluded" || job.status == "aborting" {
                    throw QEMUMigrationFailure.reason("the mirror \(name) ended (\(job.status)) before it was ready")
                }
                if job.ready { ready += 1 }
                bytes += job.length
            }
            if ready == jobs.count { return bytes }
            guard ContinuousClock.now < deadline else { throw QEMUMigrationFailure.timeout(timeout) }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Polls `query-migrate` until the memory migration completed (its figures) or failed (QEMU's error).
    private func waitForMemory(
        _ id: String, _ files: QEMUInstanceFiles, deadline: ContinuousClock.Instant, timeout: Duration, diskMilliseconds: Int64,
        diskBytes: Int64
    ) async throws -> MigrationFigures {
        while true {
            let answer = try await migrationQMP(files, "query-migrate", before: deadline)
            switch QEMUMigrationQMP.progress(answer, diskMilliseconds: diskMilliseconds, diskBytes: diskBytes) {
            case .completed(let figures): return figures
            case .failed(let reason): throw QEMUMigrationFailure.reason(reason)
            case .active: break
            }
            guard ContinuousClock.now < deadline else { throw QEMUMigrationFailure.timeout(timeout) }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// After a failure: cancels the memory migration and the mirrors, removes the NBD nodes, closes the dialers, and
    /// resumes the guest when it ran before and the migration left it paused. Every step is tried; none throws.
    private func rollBack(_ id: String, _ files: QEMUInstanceFiles, jobs: [String], nodes: [String], resume: Bool) async {
        _ = try? await migrationQMP(files, "migrate_cancel")
        await settleMirrors(id, files, jobs: jobs, nodes: nodes, force: true)
        await closeDialers(id)
        // migrate_cancel takes effect asynchronously: wait for the migration to leave its active states.
        let until = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < until {
            guard let answer = try? await migrationQMP(files, "query-migrate"),
                case .active(let status) = QEMUMigrationQMP.progress(answer, diskMilliseconds: 0, diskBytes: 0),
                status != "none"
            else { break }
            try? await Task.sleep(for: .milliseconds(50))
        }
        guard resume, let answer = try? await migrationQMP(files, "query-status"),
            let status = QEMUMigrationQMP.runState(answer), status != "running", QEMUMigrationQMP.pausedByMigration(status)
        else { return }
        do {
            try await migrationQMP(files, "cont")
            vms[id]?.qmpStatus = .running
            changes.notify(id)
        } catch {
            logger.error("could not resume the guest after a failed migration", metadata: ["id": "\(id)", "error": "\(error)"])
        }
    }

    /// Cancels the mirror jobs (`force` after a failure; without, a ready mirror completes cleanly), dismisses them once
    /// they concluded, and removes the NBD nodes. Bounded; failures are logged.
    private func settleMirrors(_ id: String, _ files: QEMUInstanceFiles, jobs: [String], nodes: [String], force: Bool) async {
        for job in jobs {
            _ = try? await migrationQMP(files, "block-job-cancel", ["device": .string(job), "force": .bool(force)])
        }
        var left = Set(jobs)
        let until = ContinuousClock.now + .seconds(15)
        while !left.isEmpty, ContinuousClock.now < until {
            guard let answer = try? await migrationQMP(files, "query-block-jobs") else { break }
            let all = QEMUMigrationQMP.jobs(answer)
            for job in left {
                if let state = all.first(where: { $0.id == job }) {
                    guard state.status == "concluded" else { continue }
                    _ = try? await migrationQMP(files, "job-dismiss", ["id": .string(job)])
                }
                left.remove(job)
            }
            if !left.isEmpty { try? await Task.sleep(for: .milliseconds(50)) }
        }
        if !left.isEmpty { logger.warning("mirror jobs did not end", metadata: ["id": "\(id)", "jobs": "\(left.sorted())"]) }
        for node in nodes {
            do {
                try await migrationQMP(files, "blockdev-del", ["node-name": .string(node)])
            } catch {
                logger.warning("could not remove a migration node", metadata: ["id": "\(id)", "node": "\(node)", "error": "\(error)"])
            }
        }
    }

    /// Resumes the guest that ``migrateOut(id:to:timeout:)`` left paused (QEMU's `postmigrate`) when the move did not
    /// complete: QMP `cont` takes the disks back (QEMU handed them over at the switch) and runs the guest from the
    /// memory it still holds, as it was.
    public func resumeMigratedOut(id: String) async throws {
        try await ensureLoaded()
        let vm = try existing(id)
        guard let process = vm.process, process.isRunning else {
            throw BackendError.failed("the source QEMU of \(id) is gone: its guest cannot resume here")
        }
        do {
            // Shared disks are this host's again (the destination's copy, aborted, never ran on them).
            try claimSharedDisks(vm.files, id: id)
            try await migrationQMP(vm.files, "cont")
        } catch {
            throw BackendError.failed("could not resume \(id) after a move that did not complete: \(Self.reason(error))")
        }
        vms[id]?.qmpStatus = .running
        logger.info("kvm instance resumed after a move that did not complete", metadata: ["id": "\(id)"])
        changes.notify(id)
    }

    // MARK: - QMP

    /// One QMP command of a migration, within the QMP deadline and, when given, the migration's.
    @discardableResult
    private func migrationQMP(
        _ files: QEMUInstanceFiles, _ command: String, _ arguments: [String: JSONValue]? = nil,
        before deadline: ContinuousClock.Instant? = nil, timeout: Duration? = nil
    ) async throws -> JSONValue {
        var limit = timeout ?? configuration.qmpTimeout
        if let deadline {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { throw QEMUMigrationFailure.reason("the migration's deadline passed before QMP \(command)") }
            limit = min(limit, left)
        }
        return try await QMPClient.execute(socketPath: files.qmpSocket, command, arguments: arguments, timeout: limit)
    }

    static func reason(_ error: any Error) -> String {
        if case BackendError.failed(let text) = error { return text }
        if case BackendError.invalidRequest(let text) = error { return text }
        if case BackendError.unavailable(let text) = error { return text }
        return "\(error)"
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }
}
