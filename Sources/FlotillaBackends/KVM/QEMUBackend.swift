import FlotillaCore
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The `kvm` compute backend: each VM is one `qemu-system-x86_64` process, supervised here and controlled
/// over QMP on a unix socket (no libvirt). See docs/decisions/0003-kvm-backend.md.
///
/// - create prepares `<dataDir>/<id>/`: the owner marker, the record, a qcow2 overlay (or blank disk), the
///   additional disks (docs/decisions/0026-vm-disks.md) and the NoCloud `cidata` volume; nothing runs yet;
/// - start makes the host devices of the VM's interfaces (docs/decisions/0025-vm-networks.md; removed again
///   when QEMU ends, see `QEMUBackend+Networks.swift`), launches QEMU (running) and waits until QMP answers
///   `query-status`;
/// - stop sends an ACPI powerdown and waits up to the timeout for the guest to power off, then `quit`s
///   (a forced stop quits at once; SIGKILL when QMP does not answer);
/// - pause and resume are QMP `stop` and `cont`; restart is a stop then a start (a new QEMU process);
/// - a QEMU that ends on its own is reported by `inspect`: `stopped` after a guest poweroff, `error` with
///   the reason otherwise (``QEMUExitReport``); its console log is kept;
/// - `followChanges` reports QEMU's exits and the QMP events of a second, dedicated monitor of each VM
///   (``QMPEventConnection``), after the state `inspect` reads has taken them in;
/// - after a restart of Flotilla, running QEMUs are adopted from their pid file, QMP socket and owner
///   marker: neither restarted nor duplicated.
public actor QEMUBackend: ComputeBackend {
    /// How the backend runs QEMU.
    public struct Configuration: Sendable {
        /// Where instance folders live (`<flotilla data dir>/kvm`).
        public var directory: String
        public var accel: AccelDetector.Mode
        public var qemuPath: String
        public var qemuImgPath: String
        public var genisoimagePath: String
        /// How long QEMU may take to answer QMP after launch.
        public var startTimeout: Duration
        /// The deadline of each QMP exchange.
        public var qmpTimeout: Duration
        /// The host's network devices (bridges, taps, macvtaps); nil: VMs cannot have interfaces on networks.
        public var links: (any HostLinks)?
        /// A network namespace (`ip netns`) QEMU runs in; `links` must make the devices there too. Nil: the
        /// host's own.
        public var networkNamespace: String?
        /// The `ip` program that runs QEMU in ``networkNamespace``.
        public var ipPath: String
        /// The TLS of live migration's tunnels (docs/decisions/0027-live-migration.md); ``MigrationTunnelTLS/plain``
        /// without TLS.
        public var migrationTLS: MigrationTunnelTLS = .plain
        /// Storage other hosts mount at the same path (docs/decisions/0029-shared-disk-storage.md): new instances keep
        /// their writable disks there, and a live migration to a host that shares it moves no disk. Nil: every disk
        /// is in the instance folder.
        public var sharedDirectory: String?

        public init(
            directory: String, accel: AccelDetector.Mode = .auto, qemuPath: String = "qemu-system-x86_64",
            qemuImgPath: String = "qemu-img", genisoimagePath: String = "genisoimage",
            startTimeout: Duration = .seconds(60), qmpTimeout: Duration = .seconds(5), links: (any HostLinks)? = nil,
            networkNamespace: String? = nil, ipPath: String = "ip"
        ) {
            self.directory = directory
            self.accel = accel
            self.qemuPath = qemuPath
            self.qemuImgPath = qemuImgPath
            self.genisoimagePath = genisoimagePath
            self.startTimeout = startTimeout
            self.qmpTimeout = qmpTimeout
            self.links = links
            self.networkNamespace = networkNamespace
            self.ipPath = ipPath
        }
    }

    /// Whether `qemu-system-x86_64` is on PATH.
    public static var isInstalled: Bool { Subprocess.which("qemu-system-x86_64") != nil }

    let configuration: Configuration
    let logger: Logger
    let detector: AccelDetector
    var vms: [String: VM] = [:]
    var loaded = false
    var hostToken = ""
    /// The instances whose start is making their network devices and launching QEMU.
    var starting: Set<String> = []
    /// The instances a snapshot is being taken of (see `QEMUBackend+Snapshots.swift`).
    var snapshotting: Set<String> = []
    private var version: String?
    /// The followers of `followChanges`.
    let changes = ChangeFanOut()
    /// The tunnels of the live migrations under way here (docs/decisions/0027-live-migration.md).
    var migrations = QEMUMigrationTunnels()
    /// The shared disk storage (``Configuration/sharedDirectory``), opened on first use.
    var sharedStorage: QEMUSharedStorage?
    /// Incoming instances on shared disks whose guest waits, paused, for ``activateIncoming(id:)``.
    var awaitingActivation: Set<String> = []
    private let tscKHz = QEMUCommandLine.hostTSCKHz()

    struct VM: Sendable {
        var record: QEMUInstanceRecord
        var files: QEMUInstanceFiles
        var process: QEMUProcess?
        /// How the last run ended, when no QEMU runs.
        var last: ObservedInstance?
        /// The last status QMP reported.
        var qmpStatus: ObservedInstance.State = .running
        var cpuSample: CPUSample?
        /// Follows the QMP events of the running QEMU (and the end of an adopted one).
        var watcher: Task<Void, Never>?
    }

    public init(configuration: Configuration, logger: Logger = Logger(label: "flotilla.backend.kvm")) {
        self.configuration = configuration
        self.logger = logger
        let qemu = Subprocess.which(configuration.qemuPath) ?? configuration.qemuPath
        self.detector = AccelDetector(
            mode: configuration.accel, qemuPath: qemu, workDir: configuration.directory, logger: logger)
    }

    deinit {
        for vm in vms.values { vm.watcher?.cancel() }
        changes.close()
    }

    public nonisolated var kind: BackendKind { .kvm }
    public nonisolated var features: BackendFeatures { BackendFeatures(pause: true, liveResize: false) }

    var qemuPath: String? { Subprocess.which(configuration.qemuPath) }

    public func info() async -> BackendInfo {
        var reason: String?
        let path = qemuPath
        if path == nil {
            reason = "\(configuration.qemuPath) is not installed"
        } else if let path, version == nil {
            do {
                let text = try await Subprocess.run(path, ["--version"], timeout: .seconds(10))
                let words = text.split(whereSeparator: \.isWhitespace)
                if let i = words.firstIndex(of: "version"), i + 1 < words.count {
                    version = String(words[i + 1])
                } else {
                    version = text.trimmingCharacters(in: .whitespacesAndNewlines)
                }
            } catch {
                reason = "\(error)"
            }
        }
        var capabilities = ["vms", "pause", "console", "qmp", "disks", "accel-\(configuration.accel.rawValue)"]
        if configuration.links != nil { capabilities.append("networks") }
        if let detected = detector.detected { capabilities.append("accel-detected-\(detected.rawValue)") }
        return BackendInfo(
            kind: .kvm, version: version ?? "unknown", apiVersion: "qmp-1",
            status: reason == nil ? .running : .unavailable, capabilities: capabilities, supportedKinds: [.vm],
            reason: reason, checkedAt: Date())
    }

    // MARK: - Create

    public func create(_ request: BackendCreateRequest) async throws {
        try await create(request, placement: .default)
    }

    /// Creates an instance with its writable disks where `placement` says (``DiskPlacement``).
    func create(_ request: BackendCreateRequest, placement: DiskPlacement) async throws {
        try await ensureLoaded()
        guard vms[request.id] == nil else { throw BackendError.invalidRequest("instance \(request.id) already exists") }
        if let other = vms.values.first(where: { $0.record.name == request.name }) {
            throw BackendError.invalidRequest("the name \(request.name) is already used by instance \(other.record.id)")
        }
        try Self.validate(request.spec.resources)
        let artifacts = try Self.artifacts(for: request)
        try Self.checkDisks(request)
        try checkInterfaces(request)
        let files = try newInstanceFiles(request.id, placement: placement)
        let diskBytes = request.spec.resources.storageBytes
        var record = QEMUInstanceRecord(
            id: request.id, name: request.name, kind: request.kind, spec: request.spec,
            kernelPath: artifacts.kernelPath, initrdPath: artifacts.initrdPath, rootDiskPath: artifacts.rootDiskPath,
            rootDiskFormat: artifacts.rootDiskFormat, diskBytes: diskBytes, hasDisk: false, hasCidata: false,
            createdAt: Date(), diskImages: request.diskImages.isEmpty ? nil : request.diskImages,
            networks: request.networks.isEmpty ? nil : request.networks)
        record.diskFolder = files.sharesDisks ? files.diskDirectory : nil
        // Reserve the id before the first suspension point.
        vms[request.id] = VM(record: record, files: files)
        do {
            try makeFolders(files, id: request.id, placement: placement)
            if case .sourceShared = placement {
                // The source's disks: nothing is made, only what they are is recorded.
                record.hasDisk = FileManager.default.fileExists(atPath: files.overlay)
                record.incomingShared = true
            } else {
                record.hasDisk = try await prepareDisk(record, files)
                try await prepareDisks(record, files)
            }
            record.hasCidata = try await prepareCidata(record, files)
            try save(record, files)
            vms[request.id]?.record = record
        } catch {
            vms[request.id] = nil
            try? FileManager.default.removeItem(atPath: files.directory)
            if files.sharesDisks, placement != .sourceShared { try? FileManager.default.removeItem(atPath: files.diskDirectory) }
            if let e = error as? BackendError { throw e }
            throw BackendError.failed("cannot prepare kvm instance \(request.id): \(error)")
        }
        logger.debug("kvm instance created", metadata: ["id": "\(request.id)", "dir": "\(files.directory)"])
    }

    // MARK: - Lifecycle

    public func start(id: String) async throws {
        try await ensureLoaded()
        let vm = try existing(id)
        if let process = vm.process, process.isRunning {
            let state = observe(id).state
            throw BackendError.invalidRequest(
                state == .paused ? "instance \(id) is paused; resume it instead" : "instance \(id) is already running")
        }
        guard let qemu = qemuPath else { throw BackendError.unavailable("\(configuration.qemuPath) is not installed") }
        await endWatcher(id)
        let accel = await detector.accel(kernel: vm.record.kernelPath)
        // The probe may have taken a while: the instance may have been deleted or started meanwhile.
        let current = try existing(id)
        if let process = current.process, process.isRunning {
            throw BackendError.invalidRequest("instance \(id) was started meanwhile")
        }
        guard !starting.contains(id) else { throw BackendError.invalidRequest("instance \(id) is being started") }
        guard !snapshotting.contains(id) else { throw BackendError.invalidRequest("a snapshot of instance \(id) is being taken") }
        starting.insert(id)
        defer { starting.remove(id) }
        let record = current.record
        let commandLine = self.commandLine(record, current.files, accel: accel)
        let (executable, arguments) = try launchCommand(qemu: qemu, arguments: commandLine.arguments)
        let files = current.files
        try? FileManager.default.removeItem(atPath: files.qmpSocket)
        try? FileManager.default.removeItem(atPath: files.eventsSocket)
        try? FileManager.default.removeItem(atPath: files.pidFile)
        if let data = try? JSONEncoder().encode([executable] + arguments) {
            try? data.write(to: URL(fileURLWithPath: files.arguments))
        }
        let descriptors = try await makeLinks(record)
        let logger = self.logger
        let changes = self.changes
        let process: QEMUProcess
        do {
            // QEMU has its own copies of the descriptors once it runs (or never will).
            defer { for fd in descriptors { close(fd) } }
            guard vms[id] != nil else { throw BackendError.notFound(id) }
            // Called on the reaper thread once `process.exit` is set: `inspect` already sees the end.
            process = try QEMUProcess.launch(
                executable: executable, arguments: arguments, outputPath: files.qemuLog, descriptors: descriptors
            ) { exit, expected in
                if !expected {
                    logger.warning("QEMU ended unexpectedly", metadata: ["id": "\(id)", "exit": "\(exit.description)"])
                }
                changes.notify(id)
            }
        } catch {
            await releaseLinks(record)
            if let error = error as? BackendError { throw error }
            throw BackendError.failed("cannot launch QEMU for \(id): \(error)")
        }
        vms[id]?.process = process
        vms[id]?.last = nil
        vms[id]?.qmpStatus = .running
        vms[id]?.cpuSample = nil
        logger.debug("QEMU launched", metadata: ["id": "\(id)", "pid": "\(process.pid)", "accel": "\(accel.rawValue)"])
        let deadline = ContinuousClock.now + configuration.startTimeout
        while true {
            if let exit = process.exit {
                let output = Self.tail(of: files.qemuLog, lines: 5)
                await releaseLinks(record)
                throw BackendError.failed("QEMU for \(id) ended at start (\(exit.description)): \(output)")
            }
            if let status = try? await QMPClient.execute(socketPath: files.qmpSocket, "query-status", timeout: .seconds(2)) {
                vms[id]?.qmpStatus = Self.state(ofQMPStatus: status)
                await startWatcher(id, process)
                await resumedFromSnapshot(id)
                return
            }
            if ContinuousClock.now >= deadline {
                process.expectExit()
                process.kill()
                _ = await process.waitForExit(timeout: .seconds(5))
                vms[id]?.process = nil
                await releaseLinks(record)
                throw BackendError.failed("QEMU for \(id) did not answer QMP within \(configuration.startTimeout)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    public func stop(id: String, force: Bool, timeout: Duration) async throws {
        try await ensureLoaded()
        let vm = try existing(id)
        guard let process = vm.process, process.isRunning else {
            _ = observe(id)  // Records an exit seen now.
            // The devices of a run that ended on its own (unless a start is making new ones right now).
            if !starting.contains(id) { await releaseLinks(vm.record) }
            return
        }
        process.expectExit()
        let how: String
        if force {
            how = "stopped (forced)"
            _ = try? await qmp(vm, "quit", timeout: .seconds(2))
            if !(await process.waitForExit(timeout: .seconds(5))) { await kill(process) }
        } else {
            // A paused guest cannot react to the power button: let it run for its shutdown.
            if vm.qmpStatus == .paused { _ = try? await qmp(vm, "cont", timeout: .seconds(2)) }
            _ = try? await qmp(vm, "system_powerdown", timeout: min(configuration.qmpTimeout, max(timeout, .seconds(1))))
            if await process.waitForExit(timeout: max(timeout, .zero)) {
                how = "stopped (the guest powered off)"
            } else {
                how = "stopped (quit after the \(timeout) stop timeout)"
                _ = try? await qmp(vm, "quit", timeout: .seconds(2))
                if !(await process.waitForExit(timeout: .seconds(5))) { await kill(process) }
            }
        }
        finish(id, process, state: .stopped, description: how)
        await endWatcher(id)
        await releaseLinks(vm.record)
        logger.debug("kvm instance stopped", metadata: ["id": "\(id)", "how": "\(how)"])
    }

    public func restart(id: String, hard: Bool, timeout: Duration) async throws {
        try await ensureLoaded()
        _ = try existing(id)
        switch observe(id).state {
        case .running: break
        case .paused: throw BackendError.invalidRequest("instance \(id) is paused; resume it before restarting")
        case .created, .stopped, .error:
            throw BackendError.invalidRequest("instance \(id) is \(observe(id).state.rawValue); start it instead")
        }
        try await stop(id: id, force: hard, timeout: timeout)
        try await start(id: id)
    }

    public func pause(id: String) async throws {
        try await ensureLoaded()
        let vm = try existing(id)
        let state = try await inspect(id: id).state
        switch state {
        case .running: break
        case .paused: throw BackendError.invalidRequest("instance \(id) is already paused")
        case .created, .stopped, .error:
            throw BackendError.invalidRequest("instance \(id) is \(state.rawValue); only a running instance can be paused")
        }
        try await qmpOrFail(vm, "stop")
        vms[id]?.qmpStatus = .paused
    }

    public func resume(id: String) async throws {
        try await ensureLoaded()
        let vm = try existing(id)
        let state = try await inspect(id: id).state
        guard state == .paused else { throw BackendError.invalidRequest("instance \(id) is \(state.rawValue), not paused") }
        try await qmpOrFail(vm, "cont")
        vms[id]?.qmpStatus = .running
    }

    public func delete(id: String, force: Bool) async throws {
        try await ensureLoaded()
        let vm = try existing(id)
        if let process = vm.process, process.isRunning {
            guard force else { throw BackendError.invalidRequest("instance \(id) is running; stop it first or delete with force") }
            process.expectExit()
            await kill(process)
        }
        await endWatcher(id)
        await releaseLinks(vm.record)
        guard vms[id] != nil else { return }
        vms[id] = nil
        do {
            try FileManager.default.removeItem(atPath: vm.files.directory)
        } catch {
            logger.warning("could not remove kvm instance files", metadata: ["id": "\(id)", "error": "\(error)"])
        }
        removeSharedDisks(vm.files, id: id)
        logger.debug("kvm instance deleted", metadata: ["id": "\(id)", "force": "\(force)"])
    }

    public func update(id: String, resources: Resources) async throws -> Bool {
        try await ensureLoaded()
        var vm = try existing(id)
        try Self.validate(resources)
        vm.record.spec.resources = resources
        do { try save(vm.record, vm.files) } catch { throw BackendError.failed("cannot save instance \(id): \(error)") }
        vms[id]?.record = vm.record
        // No live resize: the new resources apply at the next start.
        return false
    }

    public func inspect(id: String) async throws -> ObservedInstance {
        try await ensureLoaded()
        let vm = try existing(id)
        if let process = vm.process, process.isRunning {
            do {
                let status = try await qmp(vm, "query-status")
                vms[id]?.qmpStatus = Self.state(ofQMPStatus: status)
                // "shutdown": QEMU is ending (a signal, or the guest powered off) and its exit, which says how, is
                // a moment away; report that exit rather than a bare "failed" taken from the status.
                if Self.isShuttingDown(status) { _ = await process.waitForExit(timeout: Self.shutdownExitWait) }
            } catch {
                // QEMU may be ending right now: look again below; otherwise keep the last known status.
                logger.debug("query-status failed", metadata: ["id": "\(id)", "error": "\(error)"])
            }
        }
        guard vms[id] != nil else { throw BackendError.notFound(id) }
        return observe(id)
    }

    public func list() async throws -> [ObservedInstance] {
        try await ensureLoaded()
        return vms.keys.sorted().map { observe($0) }
    }

    /// The last `lines` lines of the instance's serial console.
    public func console(id: String, lines: Int) async throws -> String {
        try await ensureLoaded()
        let vm = try existing(id)
        return Self.tail(of: vm.files.console, lines: lines)
    }

    /// The serial console as a log (ADR 0024; see ``QEMUConsoleReader``): a followed console ends when QEMU stops.
    /// Nonisolated: the reading runs outside the actor, which it only asks whether QEMU still runs.
    public nonisolated func logs(
        id: String, tail: Int, follow: Bool, write: ([UInt8]) async throws -> Void
    ) async throws {
        try await QEMUConsoleReader(path: consolePath(id)).read(
            tail: tail, follow: follow, running: { await self.runs(id) }, write: write)
    }

    private func consolePath(_ id: String) async throws -> String {
        try await ensureLoaded()
        return try existing(id).files.console
    }

    /// Whether QEMU runs for the instance now.
    private func runs(_ id: String) -> Bool { vms[id]?.process?.isRunning == true }

    /// The pid of the instance's QEMU, while one runs.
    public func pid(id: String) throws -> Int32? {
        try existing(id).process.flatMap { $0.isRunning ? $0.pid : nil }
    }

    /// The files of an instance (for tests and tools): its folder.
    public func directory(id: String) throws -> String { try existing(id).files.directory }

    /// The QEMU argument list the instance starts with.
    public func arguments(id: String) async throws -> [String] {
        let vm = try existing(id)
        let accel = await detector.accel(kernel: vm.record.kernelPath)
        return commandLine(vm.record, vm.files, accel: accel).arguments
    }

    /// Ends every QEMU this backend runs (for tests and benchmarks; `flotilla serve` leaves VMs running so
    /// that the next start adopts them).
    public func stopAll() async {
        for id in vms.keys.sorted() {
            try? await stop(id: id, force: true, timeout: .zero)
        }
    }

    /// Closes what the backend holds open: the event connections and their tasks (awaited), and every
    /// `followChanges` (which then throws). VMs keep running, to be adopted by the next backend.
    public func shutdown() async {
        changes.close()
        for id in vms.keys.sorted() { await endWatcher(id) }
        await closeMigrationTunnels()
    }

    // MARK: - State

    func existing(_ id: String) throws(BackendError) -> VM {
        guard let vm = vms[id] else { throw BackendError.notFound(id) }
        return vm
    }

    /// The state now, folding in an exit that happened since the last look.
    func observe(_ id: String) -> ObservedInstance {
        guard let vm = vms[id] else { return ObservedInstance(id: id, state: .error, description: "unknown") }
        if let process = vm.process {
            if let exit = process.exit {
                if process.exitWasExpected {
                    return ObservedInstance(id: id, state: .stopped, description: "stopping", exitCode: exit.exitCode)
                }
                let observed = QEMUExitReport.observed(
                    id: id, exit: exit, output: Self.tail(of: vm.files.qemuLog, bytes: 64 << 10, from: process.outputOffset),
                    consoleTail: Self.tail(of: vm.files.console, lines: 80))
                vms[id]?.process = nil
                vms[id]?.last = observed
                return observed
            }
            return ObservedInstance(id: id, state: vm.qmpStatus, description: nil)
        }
        return vm.last ?? ObservedInstance(id: id, state: .created)
    }

    /// Records the end of a run that Flotilla caused.
    private func finish(_ id: String, _ process: QEMUProcess, state: ObservedInstance.State, description: String) {
        let code = process.exit?.exitCode
        if vms[id]?.process === process {
            vms[id]?.process = nil
            vms[id]?.last = ObservedInstance(id: id, state: state, description: description, exitCode: code)
        }
        if let files = vms[id]?.files {
            try? FileManager.default.removeItem(atPath: files.qmpSocket)
            try? FileManager.default.removeItem(atPath: files.eventsSocket)
            try? FileManager.default.removeItem(atPath: files.pidFile)
        }
    }

    private func kill(_ process: QEMUProcess) async {
        process.kill(SIGKILL)
        if !(await process.waitForExit(timeout: .seconds(10))) {
            logger.warning("QEMU did not end after SIGKILL", metadata: ["pid": "\(process.pid)"])
        }
    }

    @discardableResult
    func qmp(_ vm: VM, _ command: String, timeout: Duration? = nil) async throws -> JSONValue {
        try await QMPClient.execute(socketPath: vm.files.qmpSocket, command, timeout: timeout ?? configuration.qmpTimeout)
    }

    private func qmpOrFail(_ vm: VM, _ command: String) async throws {
        do { try await qmp(vm, command) } catch {
            throw BackendError.failed("QMP \(command) failed for \(vm.record.id): \(error)")
        }
    }

    /// How long `inspect` waits for a QEMU whose status is "shutdown" to exit.
    static let shutdownExitWait = Duration.seconds(2)

    static func isShuttingDown(_ status: JSONValue) -> Bool {
        guard case .object(let fields) = status, case .string(let s)? = fields["status"] else { return false }
        return s == "shutdown"
    }

    static func state(ofQMPStatus status: JSONValue) -> ObservedInstance.State {
        guard case .object(let fields) = status, case .string(let s)? = fields["status"] else { return .running }
        switch s {
        case "running": return .running
        case "guest-panicked", "internal-error", "io-error", "shutdown": return .error
        default: return .paused
        }
    }

    func commandLine(_ record: QEMUInstanceRecord, _ files: QEMUInstanceFiles, accel: QEMUCommandLine.Accel) -> QEMUCommandLine {
        var line = QEMUCommandLine(
            id: record.id, accel: accel,
            machine: QEMUCommandLine.machine(for: record.spec, hasKernel: record.kernelPath != nil),
            cpus: QEMUCommandLine.cpus(for: record.spec.resources), memoryMB: record.spec.resources.memoryMB,
            kernelPath: record.kernelPath, initrdPath: record.initrdPath, diskPath: record.hasDisk ? files.overlay : nil,
            cidataPath: record.hasCidata ? files.cidata : nil, bridge: QEMUCommandLine.bridge(for: record.spec.config),
            consolePath: files.console, qmpPath: files.qmpSocket, eventsPath: files.eventsSocket, pidPath: files.pidFile,
            kernelArguments: Self.userKernelArguments(record.spec), tscKHz: tscKHz, rootOnDisk: record.rootDiskPath != nil,
            disks: record.disks.map { QEMUCommandLine.Disk(id: $0.id, path: files.disk($0.id), readOnly: $0.readOnly) },
            interfaces: Self.interfaces(record), ipArgument: Self.ipArgument(record), incoming: record.incoming == true,
            loadvm: record.resumeSnapshotTag)
        line.startPaused = record.incoming == true && record.incomingShared == true
        return line
    }

    /// The user's kernel command line: the spec's metadata `kvm.kernelArgs`, then `config.kernelArguments`.
    static func userKernelArguments(_ spec: InstanceSpec) -> String? {
        let parts = [spec.metadata["kvm.kernelArgs"], spec.config.kernelArguments].compactMap { $0 }.filter { !$0.isEmpty }
        return parts.isEmpty ? nil : parts.joined(separator: " ")
    }

    /// The guest interfaces of a record: taps by name, macvtaps as the descriptors 3, 4, ... in order (those
    /// ``makeLinks(_:)`` opens).
    static func interfaces(_ record: QEMUInstanceRecord) -> [QEMUCommandLine.Interface] {
        var nextDescriptor: Int32 = 3
        return record.interfaces.enumerated().map { index, interface in
            let mac = QEMUCommandLine.guestMAC(of: interface, index: index, instanceId: record.id)
            switch interface.effectiveMode {
            case .tap:
                return .init(device: .tap(NetworkInterface.hostDeviceName(instanceId: record.id, index: index)), mac: mac)
            case .macvtap:
                defer { nextDescriptor += 1 }
                return .init(device: .descriptor(nextDescriptor), mac: mac)
            }
        }
    }

    /// The `ip=` argument of the first interface, when it has an address on a known network.
    static func ipArgument(_ record: QEMUInstanceRecord) -> String? {
        guard let first = record.interfaces.first, let address = first.address, let network = record.networks?[first.network]
        else { return nil }
        return QEMUCommandLine.ipArgument(address: address, network: network)
    }

    static func validate(_ resources: Resources) throws(BackendError) {
        guard resources.cpuCores > 0, resources.cpuCores.isFinite else {
            throw BackendError.invalidRequest("cpu cores must be greater than 0, got \(resources.cpuCores)")
        }
        guard resources.memoryBytes >= 32 << 20 else {
            throw BackendError.invalidRequest("a kvm instance needs at least 32 MiB of memory, got \(resources.memoryBytes) bytes")
        }
        guard resources.storageBytes >= 0 else {
            throw BackendError.invalidRequest("storage must not be negative, got \(resources.storageBytes)")
        }
    }

    func save(_ record: QEMUInstanceRecord, _ files: QEMUInstanceFiles) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(record).write(to: URL(fileURLWithPath: files.record), options: .atomic)
    }
}
