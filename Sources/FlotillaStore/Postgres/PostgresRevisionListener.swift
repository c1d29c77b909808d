import FlotillaCore
import Logging
import PostgresNIO
import Synchronization

/// Tells this host's watchers when another host committed a revision: LISTEN on ``PostgresSchema/channel`` on one
/// pooled connection (reconnected when it drops, catching up at once), and a poll of the current revision every
/// ``pollInterval`` in case a notification never comes (a connection that died silently). Neither carries events:
/// watchers read them from the history, so a lost notification costs time, never an event.
final class PostgresRevisionListener: Sendable {
    let pollInterval: Duration
    private let state = Mutex<(backendPID: Int32?, failing: Bool)>((nil, false))

    init(pollInterval: Duration) {
        self.pollInterval = pollInterval
    }

    /// The server process of the listening connection, while it listens (tests kill it to drop notifications).
    var backendPID: Int32? { state.withLock { $0.backendPID } }

    /// Listens and polls until cancelled.
    func run(_ store: PostgresClusterStore) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.poll(store) }
            group.addTask { await self.listen(store) }
        }
    }

    private func poll(_ store: PostgresClusterStore) async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: pollInterval)
                store.hub.publish(try await store.currentRevision())
            } catch {
                // The listener reports the database's failures; the poll only tries again.
            }
        }
    }

    private func listen(_ store: PostgresClusterStore) async {
        while !Task.isCancelled {
            do {
                try await store.client.withConnection { connection in
                    let pid = try await connection.query("SELECT pg_backend_pid()", logger: store.logger).decode(Int32.self)
                    for try await value in pid { self.state.withLock { $0.backendPID = value } }
                    try await connection.listen(on: PostgresSchema.channel) { notifications in
                        // Listening now: whatever was committed before is read once, then each notification wakes.
                        store.hub.publish(try await store.currentRevision())
                        self.recovered(store.logger)
                        for try await notification in notifications {
                            if let revision = Revision(notification.payload) { store.hub.publish(revision) }
                        }
                    }
                }
                state.withLock { $0.backendPID = nil }
            } catch {
                state.withLock { $0.backendPID = nil }
                if Task.isCancelled { return }
                failed(store.logger, error)
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    /// Logs the first failure of a run of failures, as a warning (not one line per retry).
    private func failed(_ logger: Logger, _ error: any Error) {
        let first = state.withLock { s in
            defer { s.failing = true }
            return !s.failing
        }
        if first {
            logger.warning(
                "postgres store: lost the notification connection; watchers fall back to polling while it reconnects",
                metadata: ["error": "\(PostgresClusterStore.mapped(error, "listen"))"])
        }
    }

    private func recovered(_ logger: Logger) {
        let was = state.withLock { s in
            defer { s.failing = false }
            return s.failing
        }
        if was { logger.info("postgres store: notification connection restored") }
    }
}
