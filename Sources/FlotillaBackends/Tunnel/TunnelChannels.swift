import NIOCore
import Synchronization

/// The open connections of one tunnel (both sides of every spliced pair), so that closing the tunnel closes them
/// all and waits for them, and the tunnel's last failure. Once closed, it refuses new connections: their opener
/// closes them at once.
final class TunnelChannels: Sendable {
    private struct State {
        var open: [ObjectIdentifier: any Channel] = [:]
        var closed = false
        var lastFailure: MigrationTunnelError?
    }

    private let state = Mutex(State())

    /// Remembers `channel` until it closes; false (and nothing remembered) when the tunnel is already closed.
    func add(_ channel: any Channel) -> Bool {
        let id = ObjectIdentifier(channel)
        let added = state.withLock { state in
            guard !state.closed else { return false }
            state.open[id] = channel
            return true
        }
        if added { channel.closeFuture.whenComplete { _ in self.state.withLock { _ = $0.open.removeValue(forKey: id) } } }
        return added
    }

    /// The last failure recorded (``record(_:)``).
    var lastFailure: MigrationTunnelError? { state.withLock { $0.lastFailure } }

    func record(_ failure: MigrationTunnelError) {
        state.withLock { $0.lastFailure = failure }
    }

    /// How many connections are open.
    var count: Int { state.withLock { $0.open.count } }

    /// Refuses new connections, closes every open one and returns once all are closed.
    func closeAll() async {
        let open = state.withLock { state in
            state.closed = true
            return Array(state.open.values)
        }
        for channel in open { channel.close(promise: nil) }
        for channel in open { try? await channel.closeFuture.get() }
    }
}
