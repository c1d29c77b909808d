import FlotillaCore
import FlotillaHost
import FlotillaServer
import FlotillaTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing

/// The trace middleware and the request scope on an in-process host (ADR 0022). No tracer is bootstrapped in a
/// test process, so these check what a caller sees whatever the tracer: a malformed `traceparent` never changes
/// the answer, and the component loggers' lines carry the request id.
@Suite("Tracing: traceparent and request ids on every route")
struct TracingMiddlewareTests {
    static let malformed = [
        "", "garbage", "00-zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz-00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-01",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-zz",
        String(repeating: "0", count: 4096), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra-\u{1F680}",
    ]

    @Test("a malformed traceparent (or tracestate) is ignored: the same answer as without it, never a 4xx or a crash")
    func malformedTraceparent() async throws {
        try await withProbe { api, _ in
            let id = try await api.createSim("traced")
            for value in Self.malformed {
                var headers = HTTPFields()
                headers[HTTPField.Name("traceparent")!] = value
                headers[HTTPField.Name("tracestate")!] = value.isEmpty ? "=,=" : "k=\(value)"
                let read = try await api.call(.get, "/api/v1/compute/instances/\(id)", headers: headers)
                #expect(read.status == 200, "traceparent \(value.prefix(60)): \(read.status) \(read.text)")
                #expect(read.headers[HTTPField.Name("X-Request-Id")!]?.isEmpty == false)
                let unknown = try await api.call(.get, "/api/v1/no-such-route", headers: headers)
                #expect(unknown.status == 404, "\(unknown.text)")
            }
        }
    }

    @Test("a create sent with X-Request-Id r-abc: the instance service's 'instance created' line carries requestId r-abc")
    func requestIdReachesComponentLoggers() async throws {
        let lines = Mutex<[String]>([])
        let output = JSONLogOutput { line in lines.withLock { $0.append(line) } }
        var logger = Logger(label: "flotilla") { label in
            JSONLogHandler(label: label, metadataProvider: Telemetry.metadataProvider(tracing: false), output: output)
        }
        logger.logLevel = .info
        try await TestHost.with(logger: logger) { host in
            let app = Application(router: host.host.router())
            try await app.test(.router) { client in
                let api = HTTPProbe(client: client, key: host.adminKey)
                var headers = HTTPFields()
                headers[HTTPField.Name("X-Request-Id")!] = "r-abc"
                let body =
                    #"{"name":"logged","backend":"sim","config":{"image":"busybox"},"resources":{"cpu":{"cores":1},"memory":{"limit":268435456}}}"#
                let created = try await api.call(.post, "/api/v1/compute/instances?wait=true", json: body, headers: headers)
                #expect(created.status == 201, "\(created.text)")
                #expect(created.headers[HTTPField.Name("X-Request-Id")!] == "r-abc")
            }
        }
        let objects = try lines.withLock { $0 }.map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(line)")
        }
        let created = objects.filter { $0["message"] as? String == "instance created" }
        #expect(created.count == 1, "\(objects)")
        #expect(created.first?["requestId"] as? String == "r-abc", "\(created)")
        #expect(created.first?["component"] as? String == "instances", "the instance service wrote it: \(created)")
    }
}
