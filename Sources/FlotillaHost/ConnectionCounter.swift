import Synchronization

/// The HTTP listener's open connections, in all and by source address, shared by every connection's
/// ``ConnectionGate``; ``ConnectionLimits`` decides who is admitted.
final class ConnectionCounter: Sendable {
    let limits: ConnectionLimits
    private let open = Mutex(Counts())

    private struct Counts {
        var total = 0
        var byAddress: [String: Int] = [:]
    }

    init(limits: ConnectionLimits) { self.limits = limits }

    /// Counts a new connection from `address` if the limits admit it; the verdict either way.
    func open(from address: String) -> ConnectionLimits.Verdict {
        open.withLock { counts in
            let verdict = limits.verdict(openInAll: counts.total, openFromAddress: counts.byAddress[address, default: 0])
            if verdict == .admit {
                counts.total += 1
                counts.byAddress[address, default: 0] += 1
            }
            return verdict
        }
    }

    /// Forgets an admitted connection from `address` that has closed.
    func close(from address: String) {
        open.withLock { counts in
            counts.total -= 1
            let left = counts.byAddress[address, default: 1] - 1
            counts.byAddress[address] = left > 0 ? left : nil
        }
    }

    /// Connections open now, in all.
    var total: Int { open.withLock { $0.total } }
}
