import AsyncHTTPClient
import FlotillaAPI
import FlotillaClient
import FlotillaTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Traces across hosts and request ids in JSON log lines, on real `flotilla serve` processes (ADR 0022): two
/// hosts on a real etcd export spans over OTLP/HTTP (JSON) to a collector in the test.
@Suite("Tracing: traces across hosts, JSON logs", .serialized, .enabled(if: EtcdCluster.testsEnabled, "etcd is not installed"))
struct TracingProcessTests {
    static let key = "flt_tracing_process_test_key_0123"
    /// Spans leave a host at most 100 ms after they end. Every new trace is recorded (serve's head sampler at ratio 1):
    /// the tests look for root spans (a request without a traceparent, the leader's and the agent's background work),
    /// which a ratio below 1 would drop at random.
    static let exporter = [
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json", "OTEL_BSP_SCHEDULE_DELAY": "100", "FLOTILLA_TRACE_SAMPLE_RATIO": "1",
    ]

    /// One GET with `headers`; the status, the answer's headers and body.
    static func get(_ url: String, headers: [(String, String)]) async throws -> (status: Int, requestId: String?, body: String) {
        try await send(url, headers: headers)
    }

    /// One GET with `headers`, or a POST of the JSON `body` when there is one; the status, the answer's headers and body.
    static func send(
        _ url: String, headers: [(String, String)], body: String? = nil
    ) async throws -> (status: Int, requestId: String?, body: String) {
        let client = FlotillaClient.makeHTTPClient()
        do {
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "X-API-Key", value: key)
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let body {
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(string: body))
            }
            let response = try await client.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 1 << 20)
            try await client.shutdown()
            return (Int(response.status.code), response.headers.first(name: "X-Request-Id"), String(buffer: body))
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// An OTLP receiver and two `serve` hosts on one etcd member exporting to it, the first in zone z1, the second in z2.
    static func twoHosts(
        _ stack: FixtureStack, ids: (String, String), folder: String, extra: [String] = []
    ) async throws -> (OTLPReceiver, [ServeProcess]) {
        let receiver = try await OTLPReceiver.start()
        await stack.push("OTLP receiver \(receiver.url)") { await receiver.close() }
        let etcd = try await stack.etcd(size: 1)
        let dir = try await stack.temporaryDirectory(folder)
        var hosts: [ServeProcess] = []
        for (id, zone) in [(ids.0, "z1"), (ids.1, "z2")] {
            hosts.append(
                try await stack.serve(
                    dataDir: "\(dir)/\(id)", apiKey: key,
                    extra: etcd.serveArguments + [
                        "--cluster-secret", "trace-secret", "--host-id", id, "--zone", zone, "--otlp-endpoint", receiver.url,
                    ] + FaultCluster.fastBounds + extra, environment: exporter))
        }
        return (receiver, hosts)
    }

    /// Creates a sim instance in zone z2 through `host` and waits until it runs on `worker`; returns its id.
    static func placeInZone2(name: String, through host: ServeProcess, expecting worker: String) async throws -> String {
        var instanceId: String?
        try await eventually("an instance placed on \(worker)", timeout: .seconds(60), every: .milliseconds(300)) {
            let created = try? await FlotillaClient.withClient(baseURL: host.url, apiKey: key, timeout: .seconds(30)) {
                try await $0.createInstance(
                    Compute.CreateRequest(
                        name: name, backend: "sim", config: .init(image: "busybox"),
                        resources: .init(cpu: .init(cores: 0.5), memory: .init(limit: 64 << 20)), placement: .init(zone: "z2")),
                    wait: true)
            }
            instanceId = created?.0.id ?? instanceId
            return created?.0.workerId == worker && created?.0.state == "running"
        }
        return try #require(instanceId)
    }

    static func randomHex(bytes: Int) -> String {
        (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }

    /// Whether `span` is `ancestor` or hangs below it through parent span ids among `spans`.
    static func descends(_ span: OTLPReceiver.ExportedSpan, from ancestor: OTLPReceiver.ExportedSpan, in spans: [OTLPReceiver.ExportedSpan])
        -> Bool
    {
        var current = span
        for _ in 0...spans.count {
            if current.spanId == ancestor.spanId { return true }
            guard let parent = spans.first(where: { $0.spanId == current.parentSpanId }) else { return false }
            current = parent
        }
        return false
    }

    @Test(
        "a traceparent sent to host A for an instance on host B: A's and B's server spans share its trace id, B's is a child of A's hop; without one, or with a malformed one, a new trace"
    )
    func traceAcrossHosts() async throws {
        try await FixtureStack.with { stack in
            let (receiver, hosts) = try await Self.twoHosts(stack, ids: ("ta", "tb"), folder: "tracing")
            let a = hosts[0]
            // Placed on B by zone, created through A once a leader places it.
            let id = try await Self.placeInZone2(name: "traced", through: a, expecting: "tb")

            let trace = Self.randomHex(bytes: 16)
            let parent = Self.randomHex(bytes: 8)
            let routed = try await Self.get(
                "\(a.url)/api/v2/vm/\(id)/status", headers: [("traceparent", "00-\(trace)-\(parent)-01"), ("X-Request-Id", "r-traced")])
            #expect(routed.status == 200, "\(routed.body)")
            #expect(routed.body.contains(#""routed":true"#), "answered by B through A: \(routed.body)")

            try await eventually("A's and B's spans of trace \(trace)", timeout: .seconds(30), every: .milliseconds(100)) {
                let spans = receiver.spans.filter { $0.traceId == trace }
                return spans.contains { $0.resource["host.id"] == "ta" && $0.kind == 2 }
                    && spans.contains { $0.resource["host.id"] == "tb" && $0.kind == 2 }
            }
            let spans = receiver.spans.filter { $0.traceId == trace }
            let serverA = try #require(spans.first { $0.resource["host.id"] == "ta" && $0.kind == 2 }, "\(spans)")
            let serverB = try #require(spans.first { $0.resource["host.id"] == "tb" && $0.kind == 2 }, "\(spans)")
            #expect(serverA.name == "GET /api/v2/vm/{id}/status", "\(serverA)")
            #expect(serverA.parentSpanId == parent, "A continues the caller's span: \(serverA)")
            #expect(serverA.attributes["flotilla.request_id"] == "r-traced", "\(serverA.attributes)")
            #expect(serverA.attributes["http.response.status_code"] == "200", "\(serverA.attributes)")
            #expect(serverA.resource["service.name"] == "flotilla")
            // A's hop to B is a client span under A's server span; B's server span is its child.
            let hop = try #require(spans.first { $0.resource["host.id"] == "ta" && $0.kind == 3 }, "\(spans)")
            #expect(hop.parentSpanId == serverA.spanId, "\(hop)")
            #expect(serverB.parentSpanId == hop.spanId, "B continues A's hop: \(serverB)")
            #expect(serverB.name.hasPrefix("GET /internal/"), "\(serverB)")
            print("spans of the routed GET: \(spans.map(\.description))")

            // Without a traceparent, and with a malformed one: answered all the same, in a new trace of its own.
            for (requestId, headers) in [("r-fresh", [(String, String)]()), ("r-malformed", [("traceparent", "00-xyz-\(parent)-01")])] {
                let answer = try await Self.get("\(a.url)/api/v2/vm/\(id)/status", headers: headers + [("X-Request-Id", requestId)])
                #expect(answer.status == 200, "\(answer.body)")
                // B answers the routed call under the same request id, so A's span is picked by its host.
                let isA: @Sendable (OTLPReceiver.ExportedSpan) -> Bool = {
                    $0.attributes["flotilla.request_id"] == requestId && $0.resource["host.id"] == "ta"
                }
                try await eventually("the server span of \(requestId)", timeout: .seconds(30), every: .milliseconds(100)) {
                    receiver.spans.contains(where: isA)
                }
                let fresh = try #require(receiver.spans.first(where: isA))
                #expect(
                    fresh.traceId.count == 32 && fresh.traceId != trace && fresh.traceId != String(repeating: "0", count: 32), "\(fresh)")
                #expect(fresh.parentSpanId.isEmpty, "a root span: \(fresh)")
                #expect(receiver.spans.contains { $0.traceId == fresh.traceId && $0.resource["host.id"] == "tb" && $0.kind == 2 })
            }
            #expect(receiver.rejected.isEmpty, "\(receiver.rejected)")
        }
    }

    @Test(
        "a create through POST /api/v2/vms with a traceparent: its trace holds the request's server span and the store spans under it; the leader's placement and the worker's backend create of that instance are exported too"
    )
    func createTrace() async throws {
        try await FixtureStack.with { stack in
            let (receiver, hosts) = try await Self.twoHosts(stack, ids: ("ca", "cb"), folder: "tracing-create")
            let a = hosts[0]
            // A refuses at once a create no worker could run: both workers are healthy in A's registry first.
            try await eventually("ca and cb healthy as A sees them", timeout: .seconds(60), every: .milliseconds(300)) {
                let workers = try? await FlotillaClient.withClient(baseURL: a.url, apiKey: Self.key, timeout: .seconds(10)) {
                    try await $0.listWorkers().workers
                }
                return Set(workers?.filter(\.isHealthy).map(\.id) ?? []) == ["ca", "cb"]
            }

            // The only instance this cluster ever holds: placed by the leader on cb (zone z2), created there by cb's agent.
            let trace = Self.randomHex(bytes: 16)
            let parent = Self.randomHex(bytes: 8)
            let created = try await Self.send(
                "\(a.url)/api/v2/vms", headers: [("traceparent", "00-\(trace)-\(parent)-01"), ("X-Request-Id", "r-create")],
                body:
                    #"{"name":"traced-create","backend":"sim","image":"busybox","resources":{"cpu_cores":0.5,"memory_mb":64},"placement":{"zone":"z2"}}"#
            )
            #expect(created.status == 202, "\(created.body)")
            let id = try WireJSON.decoder().decode(Global.VM.self, from: Data(created.body.utf8)).id
            try await eventually("\(id) running on cb", timeout: .seconds(60), every: .milliseconds(300)) {
                let vm = try? await FlotillaClient.withClient(baseURL: a.url, apiKey: Self.key, timeout: .seconds(10)) {
                    try await $0.globalVM(id: id)
                }
                return vm?.host?.id == "cb" && vm?.observed.state == "running"
            }

            // The request's trace: A's server span continues the caller's span; the store calls it made run under it.
            try await eventually(
                "the create's server span and store spans in trace \(trace)", timeout: .seconds(30), every: .milliseconds(100)
            ) {
                let spans = receiver.spans.filter { $0.traceId == trace }
                return spans.contains { $0.kind == 2 } && spans.contains { $0.name == "store.txn" }
            }
            let spans = receiver.spans.filter { $0.traceId == trace }
            print("spans of the traced create: \(spans.map(\.description))")
            let server = try #require(spans.first { $0.kind == 2 }, "\(spans)")
            #expect(server.name == "POST /api/v2/vms", "\(server)")
            #expect(server.resource["host.id"] == "ca", "\(server)")
            #expect(server.parentSpanId == parent, "A continues the caller's span: \(server)")
            #expect(server.attributes["flotilla.request_id"] == "r-create", "\(server.attributes)")
            #expect(server.attributes["http.response.status_code"] == "202", "\(server.attributes)")
            let store = spans.filter { $0.name.hasPrefix("store.") }
            #expect(store.contains { $0.name == "store.txn" }, "the create's transaction: \(store)")
            for span in store {
                #expect(span.kind == 3 && span.attributes["db.system"] == "etcd", "\(span) \(span.attributes)")
                #expect(Self.descends(span, from: server, in: spans), "under the request's span: \(span)")
            }
            // Nothing of the request's trace hangs elsewhere: every span of it (the store calls' own HTTP calls to etcd
            // included) is under A's server span.
            #expect(spans.allSatisfy { Self.descends($0, from: server, in: spans) }, "\(spans)")

            // Placement and the backend call run in background work, not in the request's task: the request only
            // records the pending instance; the leader's placement duty and cb's agent find it in the registry's watch,
            // in their own long-lived tasks, and the stored instance carries no trace context. So each is the root
            // of a trace of its own, found here by name, attribute and host: this cluster never held another instance.
            try await eventually("the placement and backend spans of \(id)", timeout: .seconds(30), every: .milliseconds(100)) {
                let all = receiver.spans
                return all.contains { $0.name == "placement" && $0.attributes["flotilla.placement.placed"] == "1" }
                    && all.contains { $0.name == "backend.sim.create" && $0.resource["host.id"] == "cb" }
            }
            let all = receiver.spans
            let placement = try #require(all.first { $0.name == "placement" && $0.attributes["flotilla.placement.placed"] == "1" })
            #expect(["ca", "cb"].contains(placement.resource["host.id"] ?? ""), "placed by the leader, one of the hosts: \(placement)")
            let backend = try #require(all.first { $0.name == "backend.sim.create" && $0.resource["host.id"] == "cb" })
            #expect(backend.kind == 3 && backend.attributes["flotilla.backend"] == "sim", "\(backend) \(backend.attributes)")
            #expect(!all.contains { $0.name == "backend.sim.create" && $0.resource["host.id"] == "ca" }, "ca created nothing")
            print("placement: \(placement) \(placement.attributes); backend: \(backend)")
            #expect(receiver.rejected.isEmpty, "\(receiver.rejected)")
        }
    }

    @Test(
        "--trace-sample-ratio 0: a request without a traceparent, or with one whose sampled flag is clear, is recorded on neither host (nor is its hop); a sampled caller's trace is recorded on both"
    )
    func headSampling() async throws {
        try await FixtureStack.with { stack in
            let (receiver, hosts) = try await Self.twoHosts(
                stack, ids: ("sa", "sb"), folder: "tracing-sampled", extra: ["--trace-sample-ratio", "0"])
            let a = hosts[0]
            let url = "\(a.url)/api/v2/vm/\(try await Self.placeInZone2(name: "sampled", through: a, expecting: "sb"))/status"
            let unsampledTrace = Self.randomHex(bytes: 16)
            let parent = Self.randomHex(bytes: 8)
            for (requestId, headers) in [
                ("r-unsampled-root", [(String, String)]()), ("r-unsampled-caller", [("traceparent", "00-\(unsampledTrace)-\(parent)-00")]),
            ] {
                let answer = try await Self.get(url, headers: headers + [("X-Request-Id", requestId)])
                #expect(answer.status == 200 && answer.body.contains(#""routed":true"#), "\(answer.body)")
            }
            // Sent last: once both hosts exported its spans, they exported whatever came before it (in order).
            let trace = Self.randomHex(bytes: 16)
            let sampled = try await Self.get(url, headers: [("traceparent", "00-\(trace)-\(parent)-01"), ("X-Request-Id", "r-sampled")])
            #expect(sampled.status == 200, "\(sampled.body)")
            try await eventually("both hosts' server spans of the sampled trace", timeout: .seconds(30), every: .milliseconds(100)) {
                let spans = receiver.spans.filter { $0.traceId == trace }
                return spans.contains { $0.resource["host.id"] == "sa" && $0.kind == 2 }
                    && spans.contains { $0.resource["host.id"] == "sb" && $0.kind == 2 }
            }
            let spans = receiver.spans
            #expect(spans.filter { $0.traceId == trace }.contains { $0.resource["host.id"] == "sa" && $0.kind == 3 }, "A's hop is recorded")
            #expect(
                !spans.contains { $0.traceId == unsampledTrace }, "nothing of the unsampled caller's trace: \(spans.map(\.description))")
            let requestIds = Set(spans.compactMap { $0.attributes["flotilla.request_id"] })
            #expect(!requestIds.contains("r-unsampled-root") && !requestIds.contains("r-unsampled-caller"), "\(requestIds)")
            // Nothing else was recorded at ratio 0: every span belongs to the sampled trace (no background duty's).
            #expect(spans.allSatisfy { $0.traceId == trace }, "\(spans.map(\.description))")
            #expect(receiver.rejected.isEmpty, "\(receiver.rejected)")
        }
    }

    @Test("serve --log-format json: every line is a JSON object, and each line logged for a request with X-Request-Id r-abc carries it")
    func jsonLogLines() async throws {
        try await FixtureStack.with { stack in
            let dir = try await stack.temporaryDirectory("json-logs")
            let output = LockedBox("")
            let host = try await stack.serve(
                dataDir: dir, apiKey: Self.key, extra: ["--log-level", "debug", "--log-format", "json"], output: output)
            let body =
                #"{"name":"logged","backend":"sim","config":{"image":"busybox"},"resources":{"cpu":{"cores":1},"memory":{"limit":268435456}}}"#
            let client = FlotillaClient.makeHTTPClient()
            var request = HTTPClientRequest(url: "\(host.url)/api/v1/compute/instances?wait=true")
            request.method = .POST
            request.headers.add(name: "X-API-Key", value: Self.key)
            request.headers.add(name: "X-Request-Id", value: "r-abc")
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
            let status: UInt
            do {
                status = try await client.execute(request, timeout: .seconds(30)).status.code
                try await client.shutdown()
            } catch {
                try? await client.shutdown()
                throw error
            }
            #expect(status == 201)
            try await eventually("the request's log lines", timeout: .seconds(10), every: .milliseconds(100)) {
                output.withLock { $0 }.contains(#""requestId":"r-abc""#)
            }
            await host.stop()
            let lines = output.withLock { $0 }.split(separator: "\n").map(String.init)
            let json = lines.filter { $0.hasPrefix("{") }
            let other = lines.filter { !$0.hasPrefix("{") }
            #expect(other.allSatisfy { $0.hasPrefix("flotilla listening on") || $0.hasPrefix("flintlock grpc listening on") }, "\(other)")
            let objects = json.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(
                objects.count == json.count,
                "every line is JSON: \(json.filter { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) == nil })")
            let ofRequest = objects.filter { $0["requestId"] as? String == "r-abc" }
            // The instance service logs the create in the request's task: its line names the request.
            let created = objects.filter { $0["message"] as? String == "instance created" }
            #expect(created.count == 1 && created.allSatisfy { $0["requestId"] as? String == "r-abc" }, "\(created)")
            print("lines of request r-abc: \(ofRequest.map { "\($0["label"] ?? "") \($0["message"] ?? "")" })")
            #expect(
                objects.allSatisfy { $0["time"] is String && $0["level"] is String && $0["label"] is String && $0["message"] is String })
        }
    }

    @Test("a malformed traceparent never reaches the tracer nor the log, API key included, even with OTel's own diagnostics at warning")
    func malformedTraceparentLogsNoSecret() async throws {
        try await FixtureStack.with { stack in
            let receiver = try await OTLPReceiver.start()
            await stack.push("OTLP receiver \(receiver.url)") { await receiver.close() }
            let dir = try await stack.temporaryDirectory("tracing-secret")
            let output = LockedBox("")
            // OTEL_LOG_LEVEL=warning lowers swift-otel's diagnostics on purpose: had the header reached its
            // propagator, its complaint (quoting every header of the request) would be written.
            let host = try await stack.serve(
                dataDir: dir, apiKey: Self.key, extra: ["--otlp-endpoint", receiver.url],
                environment: Self.exporter.merging(["OTEL_LOG_LEVEL": "warning"]) { $1 }, output: output)
            let answer = try await Self.get(
                "\(host.url)/api/v2/cluster", headers: [("traceparent", "00-not-a-trace-01"), ("X-Request-Id", "r-secret")])
            #expect(answer.status == 200, "\(answer.body)")
            // Recorded as a new trace (ratio 1 here), like a request without the header.
            try await eventually("the server span of r-secret", timeout: .seconds(10), every: .milliseconds(100)) {
                receiver.spans.contains { $0.attributes["flotilla.request_id"] == "r-secret" }
            }
            await host.stop()
            let log = output.withLock { $0 }
            #expect(!log.contains(Self.key), "the API key is in the log")
            #expect(!log.contains("Failed to extract span context"), "the malformed header reached the propagator")
        }
    }

}
