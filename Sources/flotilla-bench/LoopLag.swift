import NIOCore
import NIOPosix
import Synchronization

/// How late the simulator's event loops run a job: every 100 ms it hands each loop of NIO's shared group (the probe
/// sockets, the store clients, the leader's server) a job and records how long it waited. A loop busy or blocked for
/// a second delays every probe answer on it by as much, which its watchers cannot tell from a dead worker.
final class LoopLag: Sendable {
    private let worst = Mutex<Duration>(.zero)

    /// Samples until cancelled.
    func run() async {
        let loops = Array(MultiThreadedEventLoopGroup.singleton.makeIterator())
        while !Task.isCancelled {
            let sent = ContinuousClock.now
            for loop in loops {
                loop.execute { [self] in
                    let waited = sent.duration(to: .now)
                    worst.withLock { $0 = max($0, waited) }
                }
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// The longest wait since the last call, and starts again.
    func take() -> Duration {
        worst.withLock { worst in
            defer { worst = .zero }
            return worst
        }
    }
}
