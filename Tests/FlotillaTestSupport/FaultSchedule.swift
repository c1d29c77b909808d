import Synchronization

/// What a fault test injected and healed, and when: one entry per action, in order, with its time since the
/// schedule began. Kinds used by ``FaultCluster``: `store.<mode>`, `peers.<mode>` (mode `pass` is the heal),
/// `kill9`, `restart`, `pause`, `resume`, `link.down`, `link.up`, `etcd.kill`, `etcd.restart`.
public final class FaultSchedule: Sendable, CustomStringConvertible {
    public typealias Entry = (at: Duration, kind: String, target: String)

    /// When the schedule began (the cluster's start).
    public let start: ContinuousClock.Instant
    private let log = Mutex<[Entry]>([])

    public init(start: ContinuousClock.Instant = .now) { self.start = start }

    /// Records `kind` on `target` now.
    public func record(_ kind: String, target: String) {
        let at = ContinuousClock.now - start
        log.withLock { $0.append((at, kind, target)) }
    }

    /// Every entry, in order.
    public var entries: [Entry] { log.withLock { $0 } }

    /// How many entries of each kind.
    public var counts: [String: Int] {
        entries.reduce(into: [:]) { $0[$1.kind, default: 0] += 1 }
    }

    /// Whether `kind` undoes a fault (`*.pass`, `restart`, `resume`, `link.up`, `etcd.restart`).
    public static func isHeal(_ kind: String) -> Bool {
        kind.hasSuffix(".pass") || ["restart", "resume", "link.up", "etcd.restart"].contains(kind)
    }

    /// When the last entry that is not a heal was recorded, or nil.
    public var lastFault: ContinuousClock.Instant? {
        entries.last { !Self.isHeal($0.kind) }.map { start + $0.at }
    }

    /// One line per entry: `+12.345s store.cut h2`.
    public var description: String {
        entries.map { entry in
            let ms = entry.at.components.seconds * 1000 + entry.at.components.attoseconds / 1_000_000_000_000_000
            return "+\(ms / 1000).\(String(ms % 1000).leftPadded(3))s \(entry.kind) \(entry.target)"
        }.joined(separator: "\n")
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
