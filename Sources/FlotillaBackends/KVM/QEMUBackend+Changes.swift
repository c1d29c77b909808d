import FlotillaCore
import Foundation
import Logging
import Synchronization

extension QEMUBackend {
    /// Calls `changed` with the id of every instance whose state may have changed: when its QEMU ends (any
    /// way; from the reaper of a launched QEMU, or the watcher of an adopted one), and on the QMP events
    /// `STOP`, `RESUME`, `SHUTDOWN`, `POWERDOWN`, `RESET` and `GUEST_PANICKED` of its events monitor. `inspect`
    /// reflects the change when `changed` is called. Several callers may follow at once, each gets every id.
    /// Runs until cancelled; throws ``BackendError/unavailable(_:)`` once the backend is shut down. An events
    /// connection that drops is reconnected while its QEMU runs, so it does not end the follow.
    public nonisolated func followChanges(_ changed: @escaping @Sendable (String) -> Void) async throws {
        try await ensureLoaded()
        guard let subscription = changes.subscribe() else { throw BackendError.unavailable("the kvm backend was shut down") }
        defer { changes.unsubscribe(subscription.token) }
        for await id in subscription.ids { changed(id) }
        try Task.checkCancellation()
        throw BackendError.unavailable("the kvm backend was shut down")
    }

    /// The QMP events that may change what `inspect` reports.
    static let followedEvents: Set<String> = ["STOP", "RESUME", "SHUTDOWN", "POWERDOWN", "RESET", "GUEST_PANICKED"]

    /// Takes in an event of instance `id`'s run `process` (ignored once another run replaced it), then tells
    /// the followers.
    func apply(_ event: QMPEvent, id: String, process: QEMUProcess) {
        guard Self.followedEvents.contains(event.name), vms[id]?.process === process else { return }
        switch event.name {
        case "STOP": vms[id]?.qmpStatus = .paused
        case "RESUME": vms[id]?.qmpStatus = .running
        case "GUEST_PANICKED": vms[id]?.qmpStatus = .error
        default: break
        }
        logger.debug("QMP event", metadata: ["id": "\(id)", "event": "\(event.name)", "data": "\(event.data.map { "\($0)" } ?? "")"])
        changes.notify(id)
    }

    /// Starts the task that follows the events monitor of instance `id`'s run `process`, reconnecting while
    /// QEMU runs, and waits (at most the QMP deadline) until it is connected, so that no event after the
    /// return is missed. For an adopted QEMU (whose end no reaper sees) the task also notices the end and
    /// tells the followers. The task holds the backend weakly and is ended by ``endWatcher(_:)``.
    func startWatcher(_ id: String, _ process: QEMUProcess) async {
        guard let files = vms[id]?.files else { return }
        vms[id]?.watcher?.cancel()
        let changes = self.changes
        let logger = self.logger
        let timeout = configuration.qmpTimeout
        let connected = ReadyFlag()
        vms[id]?.watcher = Task { [weak self] in
            await Self.watch(
                id: id, process: process, socketPath: files.eventsSocket, timeout: timeout, logger: logger,
                onReady: { connected.value.withLock { $0 = true } }
            ) { event in
                await self?.apply(event, id: id, process: process)
            }
            if process.adopted, !Task.isCancelled { changes.notify(id) }
            // QEMU ended on its own (the stop, delete and start that cancel this task remove the devices themselves).
            if !Task.isCancelled { await self?.runEnded(id, process) }
        }
        guard FileManager.default.fileExists(atPath: files.eventsSocket) else { return }
        let deadline = ContinuousClock.now + timeout
        while !connected.value.withLock({ $0 }), process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        if !connected.value.withLock({ $0 }), process.isRunning {
            logger.warning("the QMP events monitor did not answer; events are followed when it does", metadata: ["id": "\(id)"])
        }
    }

    /// Set once a watcher's events connection is ready.
    final class ReadyFlag: Sendable {
        let value = Mutex(false)
    }

    /// Cancels the watcher of instance `id`, if any, and waits for it to end (its connection closed).
    func endWatcher(_ id: String) async {
        guard let task = vms[id]?.watcher else { return }
        vms[id]?.watcher = nil
        task.cancel()
        await task.value
    }

    /// Follows the events monitor at `socketPath` while `process` runs: connects (the socket may be missing
    /// for a QEMU started before Flotilla had events monitors: then only the end is watched), reads events,
    /// and reconnects after a drop, with a back-off from 50 ms to 1 s. Returns when QEMU has ended or the
    /// task is cancelled.
    static func watch(
        id: String, process: QEMUProcess, socketPath: String, timeout: Duration, logger: Logger,
        onReady: () -> Void, onEvent: (QMPEvent) async -> Void
    ) async {
        var delay = Duration.milliseconds(50)
        while !Task.isCancelled && process.isRunning {
            if FileManager.default.fileExists(atPath: socketPath) {
                do {
                    try await QMPEventConnection.follow(socketPath: socketPath, timeout: timeout, onReady: onReady, onEvent: onEvent)
                    delay = .milliseconds(50)
                } catch {
                    logger.debug("QMP events connection failed", metadata: ["id": "\(id)", "error": "\(error)"])
                }
            }
            if Task.isCancelled || !process.isRunning { break }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(1))
        }
    }
}
