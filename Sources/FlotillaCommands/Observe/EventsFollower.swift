import FlotillaAPI
import FlotillaClient
import Foundation

/// `flotilla events --follow`: one stream after another until cancelled (Ctrl-C), each resumed after the
/// last event printed (``EventCursor``), with a backoff between attempts; standard error tells once per
/// outage that the stream was lost and once that it is back.
struct EventFollower {
    let api: FlotillaClient
    let printer: EventPrinter
    static let firstBackoff = Duration.milliseconds(200)
    static let maxBackoff = Duration.seconds(5)

    func run(since: Int64?) async throws {
        // Without --since, "from now" is pinned to a revision first, so a drop before the first event loses nothing.
        var start = since
        if start == nil { start = try await api.globalVMs(limit: 1).revision }
        var cursor = EventCursor(since: start)
        var backoff = Self.firstBackoff
        var lostAt: Date?
        while true {
            let reason: String
            do {
                try await api.streamEvents(lastEventID: cursor.resumePoint()) { item in
                    switch item {
                    case .opened:
                        if let since = lostAt {
                            let seconds = String(format: "%.1f", Date().timeIntervalSince(since))
                            ClientRunner.printError(
                                "flotilla events: reconnected to \(api.baseURL) after \(seconds) s; resuming after revision \(cursor.revision ?? 0)"
                            )
                            lostAt = nil
                        }
                        backoff = Self.firstBackoff
                    case .event(let event):
                        if cursor.accept(event) { try printer.print(event) }
                    }
                }
                reason = "the server ended the stream"
            } catch let error as FlotillaClientError where Self.isTransient(error) {
                reason = error.description
            }
            if lostAt == nil {
                lostAt = Date()
                ClientRunner.printError("flotilla events: lost the event stream (\(reason)); reconnecting")
            }
            try await Task.sleep(for: backoff)
            backoff = min(backoff * 2, Self.maxBackoff)
        }
    }

    /// A dropped or refused connection, a timeout, a server error (a host starting, its store away) or a rate
    /// limit: worth another attempt. Anything else (a bad key, a compacted revision) ends the command.
    static func isTransient(_ error: FlotillaClientError) -> Bool {
        switch error {
        case .unreachable, .timedOut: return true
        case .api(let status, _, _, _): return status >= 500 || status == 429
        case .invalidResponse, .invalidRequest: return false
        }
    }
}
