import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One `/metrics` answer, parsed: every sample line as its name, labels and value.
public struct Scrape: Sendable {
    public let text: String
    public let samples: [(name: String, labels: [String: String], value: Double)]

    public init(text: String) {
        self.text = text
        samples = text.split(separator: "\n").compactMap { Self.parse(String($0)) }
    }

    /// `GET <baseURL>/metrics` of a host in another process (a ``ServeProcess``), with `key` as its bearer.
    public static func fetch(_ baseURL: String, key: String) async throws -> Scrape {
        var request = HTTPClientRequest(url: baseURL + "/metrics")
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(15))
        let body = String(buffer: try await response.body.collect(upTo: 16 << 20))
        guard response.status == .ok else { throw ProcessFailure("GET \(baseURL)/metrics: \(response.status): \(body.prefix(300))") }
        return Scrape(text: body)
    }

    /// The value of the series `name` with exactly `labels`; nil when there is none.
    public func value(_ name: String, _ labels: [String: String]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    /// How many times the host looked at an instance of `backend` and got an answer (its agent does once per
    /// instance in every reconcile round): `flotilla_backend_calls_total{operation="inspect",outcome="ok"}`.
    public func inspections(_ backend: String) -> Double {
        value("flotilla_backend_calls_total", ["backend": backend, "operation": "inspect", "outcome": "ok"]) ?? 0
    }

    /// `name{a="x",b="y"} 1.5`, or nil for a comment.
    static func parse(_ line: String) -> (name: String, labels: [String: String], value: Double)? {
        guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
            return nil
        }
        let series = line[..<space]
        guard let brace = series.firstIndex(of: "{") else { return (String(series), [:], value) }
        var labels: [String: String] = [:]
        var rest = series[series.index(after: brace)...].dropLast()
        while let eq = rest.firstIndex(of: "=") {
            let name = String(rest[..<eq]).trimmingCharacters(in: CharacterSet(charactersIn: ","))
            var i = rest.index(eq, offsetBy: 2)
            var value = ""
            while i < rest.endIndex, rest[i] != "\"" {
                if rest[i] == "\\" { i = rest.index(after: i) }
                value.append(rest[i])
                i = rest.index(after: i)
            }
            labels[name] = value
            rest = rest[rest.index(after: i)...]
        }
        return (String(series[..<brace]), labels, value)
    }
}
