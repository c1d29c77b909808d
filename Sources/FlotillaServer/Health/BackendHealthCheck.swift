import FlotillaCluster
import FlotillaCore

/// Asks each of this host's backends for its health, each within a deadline: the one answer `/health` and
/// `/api/v1/health` both give, so the two never disagree about which backend is degraded.
struct BackendHealthCheck {
    struct Result: Sendable {
        var info: BackendInfo?
        /// Why the backend is not healthy; nil when it is.
        var reason: String?
    }

    static let deadline = Duration.seconds(2)

    static func run(_ backends: BackendSet) async -> [BackendKind: Result] {
        await withTaskGroup(of: (BackendKind, Result).self) { group in
            for kind in backends.kinds {
                guard let backend = backends[kind] else { continue }
                group.addTask {
                    guard let info = try? await withDeadlineOrNil(deadline, { await backend.info() }) else {
                        return (kind, Result(info: nil, reason: "no answer within \(deadline)"))
                    }
                    return (kind, Result(info: info, reason: info.status == .running ? nil : (info.reason ?? "unavailable")))
                }
            }
            var results: [BackendKind: Result] = [:]
            for await (kind, result) in group { results[kind] = result }
            return results
        }
    }

    /// The unhealthy backends and why, keyed by name.
    static func unavailable(_ results: [BackendKind: Result]) -> [String: String] {
        var map: [String: String] = [:]
        for (kind, result) in results { if let reason = result.reason { map[kind.rawValue] = reason } }
        return map
    }
}
