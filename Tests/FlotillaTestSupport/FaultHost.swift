import FlotillaClient
import Foundation
import Synchronization

/// One real `flotilla serve` of a ``FaultCluster``: it reaches every etcd member only through its own store
/// proxies and is reached by the other hosts only through its peer proxy (its `--advertise`). A test talks to it
/// directly (``url``). Every fault it injects is recorded in the cluster's ``FaultSchedule``.
public final class FaultHost: Sendable {
    public let id: String
    /// Its data folder (kept across ``restart()``).
    public let dataDir: String
    /// The file the sim backend rewrites after every change (`--sim-state-file`).
    public let simStateFile: String
    /// Its own dockerd's socket (`FLOTILLA_DOCKER_SOCKET`), in a docker cluster.
    public let dockerSocket: String?
    /// The namespace it runs in, when it is namespaced.
    public let namespace: NetworkNamespace?
    /// One proxy per etcd member, in member order: its only way to the store.
    public let storeProxies: [FaultProxy]
    /// What the other hosts connect to: its advertised address.
    public let peerProxy: FaultProxy

    private let apiKey: String
    private let arguments: [String]
    private let backends: String
    private let environment: [String: String]
    private let schedule: FaultSchedule
    private let output = LockedBox("")
    /// The process, its URL, whether it is paused, and how long its log was when it started.
    private let state = Mutex<(process: ServeProcess?, url: String, paused: Bool, logStart: Int)>((nil, "", false, 0))

    init(
        id: String, dataDir: String, dockerSocket: String?, namespace: NetworkNamespace?, storeProxies: [FaultProxy],
        peerProxy: FaultProxy, apiKey: String, zone: String, backends: String, extra: [String], logLevel: String,
        schedule: FaultSchedule
    ) {
        self.id = id
        self.dataDir = dataDir
        self.simStateFile = dataDir + ".sim-state.json"
        self.dockerSocket = dockerSocket
        self.namespace = namespace
        self.storeProxies = storeProxies
        self.peerProxy = peerProxy
        self.apiKey = apiKey
        self.backends = backends
        self.schedule = schedule
        let store = "etcd://" + storeProxies.map(\.address).joined(separator: ",")
        arguments =
            [
                "--store", store, "--cluster-secret", "fault-cluster-secret", "--host-id", id, "--zone", zone,
                "--advertise", "http://\(peerProxy.address)", "--listen", "\(namespace?.address ?? "127.0.0.1"):0",
                "--log-level", logLevel,
            ]
            // A namespaced host listens on its namespace's private link address, not loopback: plain there is asked
            // for explicitly (ADR 0017), as an operator would on a network of their own.
            + (namespace == nil ? [] : ["--insecure"]) + extra
        var environment = ["FLOTILLA_SIM_STATE_FILE": simStateFile]
        if let dockerSocket { environment["FLOTILLA_DOCKER_SOCKET"] = dockerSocket }
        self.environment = environment
    }

    /// The direct URL of its HTTP listener (of its last start).
    public var url: String { state.withLock { $0.url } }

    /// Whether its process is alive (also while paused).
    public var isRunning: Bool { state.withLock { $0.process?.isRunning ?? false } }

    /// Whether it is stopped by ``pause()``.
    public var isPaused: Bool { state.withLock { $0.paused && ($0.process?.isRunning ?? false) } }

    /// Its process id (of its last start; 0 before the first).
    public var pid: Int32 { state.withLock { $0.process?.pid ?? 0 } }

    /// Everything it printed, standard output and standard error, across restarts.
    public var log: String { output.value }

    /// Whether its current process crashed: the runtime printed a crash report. While the backtracer writes it
    /// (seconds) the process still exists but does nothing, so its sim instances do not run.
    public var hasCrashed: Bool {
        let start = state.withLock { $0.logStart }
        let log = output.value
        // Read every sample (5 a second): the current process's part is searched in place, not copied or split.
        guard log.utf8.count > start else { return false }
        return FailureLogs.holdsCrashReport(log[log.utf8.index(log.startIndex, offsetBy: start)...])
    }

    /// Runs `body` with a Flotilla client that talks to this host directly, with the cluster's admin key.
    public func withClient<T: Sendable>(
        timeout: Duration = .seconds(10), _ body: (FlotillaClient) async throws -> T
    ) async throws -> T {
        try await FlotillaClient.withClient(baseURL: url, apiKey: apiKey, timeout: timeout, body)
    }

    /// Sets every store proxy to `mode` (`.cut`: it is cut off from etcd, while it keeps running and serving).
    public func setStore(_ mode: FaultProxy.Mode) {
        for proxy in storeProxies { proxy.set(mode) }
        schedule.record("store.\(Self.kind(mode))", target: id)
    }

    /// Sets its peer proxy (what the other hosts use to reach it) to `mode`.
    public func setPeers(_ mode: FaultProxy.Mode) {
        peerProxy.set(mode)
        schedule.record("peers.\(Self.kind(mode))", target: id)
    }

    /// Takes its namespace's link down or up (a namespaced host only; otherwise nothing happens).
    public func setLink(up: Bool) async throws {
        guard let namespace else { return }
        if up { try await namespace.linkUp() } else { try await namespace.linkDown() }
        schedule.record(up ? "link.up" : "link.down", target: id)
    }

    /// SIGKILL, and waits until the process is gone.
    public func kill9() async {
        schedule.record("kill9", target: id)
        await stopProcess()
    }

    /// Starts it again on the same data folder, host id and proxies (the peer proxy now points at its new port).
    /// A host still running is killed first.
    public func restart() async throws {
        await stopProcess()
        schedule.record("restart", target: id)
        try await start()
    }

    /// SIGSTOP: it keeps its sockets but does nothing (its sim instances are frozen: not running).
    public func pause() {
        let pid = state.withLock { s -> Int32? in
            guard let p = s.process, p.isRunning else { return nil }
            s.paused = true
            return p.pid
        }
        guard let pid else { return }
        kill(pid, SIGSTOP)
        schedule.record("pause", target: id)
    }

    /// SIGCONT after ``pause()``.
    public func resume() {
        let pid = state.withLock { s -> Int32? in
            guard let p = s.process, p.isRunning, s.paused else { return nil }
            s.paused = false
            return p.pid
        }
        guard let pid else { return }
        kill(pid, SIGCONT)
        schedule.record("resume", target: id)
    }

    // MARK: Internal

    /// Starts the process and points the peer proxy at it.
    func start() async throws {
        let logStart = output.value.utf8.count
        let process = try await ServeProcess.start(
            dataDir: dataDir, apiKey: apiKey, extra: arguments, backends: backends, environment: environment,
            wrapper: namespace?.exec ?? [], output: output)
        state.withLock { $0 = (process, process.url, false, logStart) }
        peerProxy.retarget(to: String(process.url.dropFirst("http://".count)))
    }

    /// Kills the process (thawed first, so it dies at once) and waits until it is gone.
    func stopProcess() async {
        let process = state.withLock { s -> ServeProcess? in
            defer { s.paused = false }
            return s.process
        }
        guard let process, process.isRunning else { return }
        kill(process.pid, SIGCONT)
        await process.stop(signal: SIGKILL, timeout: .seconds(10))
    }

    private static func kind(_ mode: FaultProxy.Mode) -> String {
        switch mode {
        case .pass: return "pass"
        case .cut: return "cut"
        case .blackhole: return "blackhole"
        case .delay: return "delay"
        case .dropAfter: return "dropAfter"
        }
    }
}
