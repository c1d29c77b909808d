import FlotillaAPI
import FlotillaClient
import Foundation
import Synchronization

/// Follows every host's event stream (`GET /api/v2/events`, docs/api/surface-d-global.md "Events") and records
/// the revisions each host delivers. After a fault (the stream ends or fails, the host is killed or restarted)
/// it reconnects to the host's current URL, resuming after the last revision it received (`since`, the same as
/// `Last-Event-ID`). Violations: a host's revisions going back; a revision another host delivered, inside the
/// range this host covered, missing from this host's stream (a skip).
public final class EventRevisionWatch: Sendable {
    private struct Record {
        var revisions: [String: Set<Int64>] = [:]
        var last: [String: Int64] = [:]
        var first: [String: Int64] = [:]
        var backwards: [InvariantViolation] = []
        var seen = 0
    }

    private let cluster: FaultCluster
    private let apiKey: String
    private let record = Mutex(Record())

    public init(cluster: FaultCluster, apiKey: String) {
        self.cluster = cluster
        self.apiKey = apiKey
    }

    /// Follows every host until the calling task is cancelled.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            for host in cluster.hosts {
                group.addTask { await self.follow(host) }
            }
        }
    }

    /// Events received so far, over every host.
    public var eventsSeen: Int { record.withLock { $0.seen } }

    /// The highest revision each host delivered.
    public var lastRevisions: [String: Int64] { record.withLock { $0.last } }

    /// Revisions that went back, then skips: for each pair of hosts, every revision the other delivered inside
    /// this host's covered range (its first to its last revision) that this host did not deliver.
    public func violations() -> [InvariantViolation] {
        record.withLock { r in
            var found = r.backwards
            let all = r.revisions.values.reduce(into: Set<Int64>()) { $0.formUnion($1) }
            for host in r.revisions.keys.sorted() {
                guard let first = r.first[host], let last = r.last[host], let mine = r.revisions[host] else { continue }
                let missing = all.filter { $0 > first && $0 <= last && !mine.contains($0) }.sorted()
                if !missing.isEmpty {
                    found.append(
                        InvariantViolation(
                            kind: "revisionSkip",
                            detail: "\(host) did not deliver revisions \(missing.prefix(20).map(String.init).joined(separator: ","))"
                                + (missing.count > 20 ? " and \(missing.count - 20) more" : "") + " within \(first)...\(last)"))
                }
            }
            return found
        }
    }

    // MARK: Private

    private func follow(_ host: FaultHost) async {
        while !Task.isCancelled {
            let since = record.withLock { $0.last[host.id] }
            do {
                try await FlotillaClient.withClient(baseURL: host.url, apiKey: apiKey, timeout: .seconds(10)) { client in
                    for try await event in client.events(since: since) { self.note(host.id, event.revision) }
                }
            } catch {
                // The host is down, cut off, restarting or paused: try again shortly.
            }
            try? await Task.sleep(for: .milliseconds(300))
        }
    }

    private func note(_ host: String, _ revision: Int64) {
        record.withLock { r in
            r.seen += 1
            if let last = r.last[host], revision < last {
                r.backwards.append(InvariantViolation(kind: "revisionBack", detail: "\(host) delivered \(revision) after \(last)"))
            }
            if r.first[host] == nil { r.first[host] = revision }
            r.last[host] = max(r.last[host] ?? revision, revision)
            r.revisions[host, default: []].insert(revision)
        }
    }
}
