import FlotillaCore
import Foundation
import Synchronization

/// Watches the workers' heartbeat keys as another host would, and records when each went away (its lease expired or
/// was revoked) and came back: the fleet simulator's source for false offlines and detection times.
final class FleetObserver: Sendable {
    private struct Seen {
        /// Every heartbeat key deletion: worker, when.
        var offline: [(worker: String, at: ContinuousClock.Instant)] = []
        var heartbeatWrites = 0
    }
    private let seen = Mutex(Seen())

    /// Follows `store`'s heartbeat keys from `revision` on until cancelled.
    func follow(_ store: any ClusterStore, from revision: Revision) async throws {
        for try await batch in store.watch(prefix: StoreKeys.alive, fromRevision: revision) {
            let now = ContinuousClock.now
            seen.withLock { seen in
                for event in batch.events {
                    let worker = String(event.kv.key.dropFirst(StoreKeys.alive.count))
                    switch event.kind {
                    case .put: seen.heartbeatWrites += 1
                    case .delete: seen.offline.append((worker, now))
                    }
                }
            }
        }
    }

    /// Heartbeat keys written so far (registrations and heartbeats).
    var heartbeatWrites: Int { seen.withLock { $0.heartbeatWrites } }

    /// Workers seen going offline, other than `except`, with the number of times.
    func offline(except: Set<String>) -> [String: Int] {
        seen.withLock { seen in
            seen.offline.filter { !except.contains($0.worker) }.reduce(into: [:]) { $0[$1.worker, default: 0] += 1 }
        }
    }

    /// When each of `workers` was first seen offline at or after `since`.
    func firstOffline(of workers: Set<String>, since: ContinuousClock.Instant) -> [String: ContinuousClock.Instant] {
        seen.withLock { seen in
            var first: [String: ContinuousClock.Instant] = [:]
            for (worker, at) in seen.offline where at >= since && workers.contains(worker) && first[worker] == nil {
                first[worker] = at
            }
            return first
        }
    }
}
