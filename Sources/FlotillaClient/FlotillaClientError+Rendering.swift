import FlotillaAPI
import FlotillaCore
import Foundation

extension FlotillaClientError: CustomStringConvertible {
    /// The message for a person, without any `error:` prefix.
    ///
    /// An API error reads `<message> (<CODE>, HTTP <status>)`; a 429 says when to retry (ADR 0019).
    public var description: String {
        switch self {
        case .api(429, let code, let message, let details) where !message.contains("retry in"):
            // A 429 always says when to retry (surface B's body has no details: then "later").
            let retry = Self.retryAfter(details).map { "retry in \($0) s" } ?? "retry later"
            return "\(message) (\(code), HTTP 429): \(retry)"
        case .api(let status, let code, let message, _):
            return "\(message) (\(code), HTTP \(status))"
        case .unreachable(let url, let reason):
            return "cannot reach the Flotilla server at \(url): \(reason)"
        case .timedOut(let url, let after):
            return "no complete answer from \(url) within \(Self.seconds(after))"
        case .invalidResponse(let url, let reason):
            return "unusable answer from \(url): \(reason)"
        case .invalidRequest(let reason):
            return reason
        }
    }

    /// The lines a command-line tool prints to standard error: `error: <description>`, then one
    /// indented `key: value` line per error detail (sorted by key).
    public var renderedLines: [String] {
        var lines = ["error: \(description)"]
        if case .api(_, _, _, let details?) = self {
            for (key, value) in details.sorted(by: { $0.key < $1.key }) {
                lines.append("  \(key): \(Self.render(value))")
            }
        }
        return lines
    }

    /// The process exit status a command-line tool uses for this error:
    /// 1 for an error answer of the server (or an unusable answer), 2 for a request that could not be
    /// built (a usage error), 3 when the server could not be reached in time.
    public var exitStatus: Int32 {
        switch self {
        case .api, .invalidResponse: return 1
        case .invalidRequest: return 2
        case .unreachable, .timedOut: return 3
        }
    }

    /// The seconds a rate-limited answer asks to wait (ADR 0019): `retryAfter` in surface A's details,
    /// `retry_after` in surface C's.
    static func retryAfter(_ details: [String: JSONValue]?) -> Int64? {
        switch details?["retryAfter"] ?? details?["retry_after"] {
        case .int(let seconds)?: return seconds
        case .double(let seconds)?: return Int64(seconds.rounded(.up))
        default: return nil
        }
    }

    /// A detail value as a person reads it: strings bare, everything else as compact JSON.
    static func render(_ value: JSONValue) -> String {
        if case .string(let s) = value { return s }
        guard let data = try? WireJSON.encoder().encode(value), let text = String(data: data, encoding: .utf8) else {
            return "\(value)"
        }
        return text
    }

    static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        if attoseconds == 0 { return "\(seconds)s" }
        let value = Double(seconds) + Double(attoseconds) / 1e18
        return String(format: "%.1fs", value)
    }
}
