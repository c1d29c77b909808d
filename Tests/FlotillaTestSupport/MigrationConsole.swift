import Foundation
import NIOHTTP1

/// The test guest's console as the migration tests read it (Tests/Fixtures/guest/init): a boot marker
/// (`FLOTILLA-GUEST-READY`) once per boot, then `FLOTILLA-TICK n` every second from 0. A guest that kept running
/// shows no new marker and a counter that never goes back; a reboot shows both.
public enum MigrationConsole {
    public static let marker = "FLOTILLA-GUEST-READY"

    /// The console of instance `id` served by `host` (`GET /api/v2/instances/{id}/logs`, routed to its owner).
    public static func read(_ host: ServeProcess, id: String, tail: Int = 5000) async throws -> String {
        let (status, body) = try await MigrationHosts.send(.GET, host, "/api/v2/instances/\(id)/logs?tail=\(tail)")
        let text = String(decoding: body, as: UTF8.self)
        guard status == 200 else { throw ProcessFailure("logs of \(id) through \(host.url): \(status) \(text)") }
        return text
    }

    /// The lines of `text`, trimmed.
    static func lines(_ text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// How many boots the console shows.
    public static func markers(_ text: String) -> Int { lines(text).filter { $0 == marker }.count }

    /// The counter's values, in the order printed.
    public static func ticks(_ text: String) -> [Int] {
        lines(text).compactMap { line in line.hasPrefix("FLOTILLA-TICK ") ? Int(line.dropFirst("FLOTILLA-TICK ".count)) : nil }
    }

    /// Whether the counter went back somewhere (a new boot starts it at 0 again).
    public static func counterWentBack(_ text: String) -> Bool {
        let values = ticks(text)
        return zip(values, values.dropFirst()).contains { $1 <= $0 }
    }

    /// What a failure message shows of a console: its FLOTILLA lines other than the counter, and the counter's
    /// values where it went back (or its first and last values).
    public static func summary(_ text: String) -> String {
        let values = ticks(text)
        let resets = zip(values, values.dropFirst()).filter { $1 <= $0 }.map { "\($0.0)->\($0.1)" }
        let others = lines(text).filter { $0.hasPrefix("FLOTILLA-") && !$0.hasPrefix("FLOTILLA-TICK") }
        return "\(markers(text)) boot markers; counter \(values.first.map(String.init) ?? "-")...\(values.last.map(String.init) ?? "-")"
            + (resets.isEmpty ? "" : ", went back at \(resets.joined(separator: " "))") + "; \(others.suffix(12))"
    }

    /// Waits (polling every 2 s, up to `timeout`: a TCG guest boots in 10-40 s idle, minutes on a busy machine)
    /// until the console through `host` shows a counter of at least `atLeast`; returns the console.
    @discardableResult
    public static func waitForTick(
        _ host: ServeProcess, id: String, atLeast: Int, timeout: Duration = .seconds(300)
    ) async throws -> String {
        var last = ""
        do {
            try await eventually("console of \(id) counts to \(atLeast)", timeout: timeout, every: .seconds(2)) {
                last = (try? await read(host, id: id)) ?? last
                return (ticks(last).last ?? -1) >= atLeast
            }
        } catch {
            throw ProcessFailure("\(error); the console's last lines: \(lines(last).suffix(8))")
        }
        return last
    }
}
