import FlotillaAPI
import FlotillaClient
import FlotillaTestSupport
import Foundation
import Testing

/// A real Prometheus (Debian's package) scraping three `flotilla serve` hosts on a real 3-member etcd with a
/// reader key, as docs/metrics.md sets it up: what it stores must match what the test did.
@Suite(
    "Prometheus scrape", .serialized,
    .enabled(if: EtcdCluster.testsEnabled && PrometheusServer.testsEnabled, "etcd or prometheus is not installed"))
struct PrometheusProcessTests {
    static let key = "flt_prometheus_process_test_key_0123"
    /// Instances the test creates.
    static let created = 4
    /// GET-instance requests the test makes on `/api/v2/vms/:id`, a route nothing else in the test (nor the hosts
    /// among themselves) calls.
    static let fetched = 17
    static let route = "/api/v2/vms/:id"

    func client<T: Sendable>(_ host: ServeProcess, _ body: (FlotillaClient) async throws -> T) async throws -> T {
        try await FlotillaClient.withClient(baseURL: host.url, apiKey: Self.key, timeout: .seconds(30), body)
    }

    @Test(
        "Prometheus scraping three hosts: placements and GET-instance requests add up to what the test did, three targets up, every host sees every instance running"
    )
    func scrapeThreeHosts() async throws {
        try await FixtureStack.with { stack in
            let etcd = try await stack.etcd()
            let dir = try await stack.temporaryDirectory("prometheus-hosts")
            var hosts: [ServeProcess] = []
            for (i, zone) in ["a", "b", "c"].enumerated() {
                hosts.append(
                    try await stack.serve(
                        dataDir: "\(dir)/h\(i + 1)", apiKey: Self.key,
                        extra: etcd.serveArguments + ["--cluster-secret", "test-secret", "--host-id", "h\(i + 1)", "--zone", zone],
                        stopSignal: SIGKILL))
            }
            let reader = try await client(hosts[0]) { try await $0.createKey(name: "prometheus", role: "reader") }.key
            let prometheus = try await PrometheusServer.start(targets: hosts.map(\.url), bearer: reader)
            await stack.push("prometheus \(prometheus.url)") { await prometheus.tearDown() }

            var ids: [String] = []
            for i in 0..<Self.created { ids.append(try await create(through: hosts[i % 3], name: "scraped-\(i)")) }
            // Every host sees every instance running before the counted requests, so each of them answers 200.
            for host in hosts {
                try await eventually("all instances running at \(host.url)", timeout: .seconds(60), every: .milliseconds(200)) {
                    let listed = try? await self.client(host) { try await $0.listInstances(pageSize: 500) }
                    return listed?.instances.filter { $0.state == "running" }.count == Self.created
                }
            }
            for i in 0..<Self.fetched {
                let host = hosts[i % 3]
                let (status, body) = try await HTTPSProbe.get(
                    "\(host.url)/api/v2/vms/\(ids[i % ids.count])", tls: nil, headers: [("X-API-Key", Self.key)])
                #expect(status == 200, "\(body)")
            }

            // Prometheus scrapes every second; the cap is generous for a loaded 2-core machine (a slow scrape only
            // makes the wait longer, never the figures different).
            let last = LockedBox("nothing scraped yet")
            try? await eventually("Prometheus sees what the test did", timeout: .seconds(90), every: .seconds(1)) {
                let seen = try await Observed.read(prometheus)
                last.withLock { $0 = "\(seen)" }
                return seen.placed == Double(Self.created) && seen.requests == Double(Self.fetched) && seen.up == 3
                    && seen.runningPerHost.count == 3 && seen.runningPerHost.allSatisfy { $0.value == Double(Self.created) }
            }
            let seen = try await Observed.read(prometheus)
            let diagnostics = "last seen: \(last.value); targets: \((try? await prometheus.targets()) ?? [])"
            #expect(seen.placed == Double(Self.created), "placements, \(diagnostics)")
            #expect(seen.requests == Double(Self.fetched), "GET \(Self.route) 200s, \(diagnostics)")
            #expect(seen.up == 3, "targets up, \(diagnostics)")
            #expect(Set(seen.runningPerHost.keys) == Set(hosts.map { String($0.url.dropFirst("http://".count)) }), "\(diagnostics)")
            for (host, running) in seen.runningPerHost {
                #expect(running == Double(Self.created), "running instances as \(host) sees them, \(diagnostics)")
            }
        }
    }

    /// Creates an instance through `host` (retried until a leader places it; the idempotency key makes a retry
    /// of an acknowledged create a replay, not a second instance) and returns its id.
    func create(through host: ServeProcess, name: String) async throws -> String {
        let request = Compute.CreateRequest(
            name: name, backend: "sim", config: .init(image: "busybox"),
            resources: .init(cpu: .init(cores: 0.5), memory: .init(limit: 64 << 20)))
        let token = "prometheus-\(name)"
        return try await eventuallyValue(
            "a create of \(name) is acknowledged", timeout: .seconds(60), every: .milliseconds(250), retryingErrors: true
        ) {
            try await client(host) { try await $0.createInstance(request, wait: true, idempotencyKey: token) }.instance.id
        }
    }

    /// The four figures the test checks, as Prometheus answers them now.
    struct Observed: CustomStringConvertible {
        var placed: Double?
        var requests: Double?
        var up: Double?
        /// `instance` label (`127.0.0.1:PORT`) → running instances as that host's registry sees them.
        var runningPerHost: [String: Double]

        static func read(_ prometheus: PrometheusServer) async throws -> Observed {
            let running = try await prometheus.query(#"sum by (instance) (flotilla_instances{state="running"})"#)
            return Observed(
                placed: try await prometheus.value(#"sum(flotilla_placements_total{outcome="placed"})"#),
                requests: try await prometheus.value(
                    #"sum(flotilla_http_requests_total{route="\#(route)",method="GET",status="200"})"#),
                up: try await prometheus.value(#"count(up{job="flotilla"} == 1)"#),
                runningPerHost: Dictionary(running.map { ($0.labels["instance"] ?? "?", $0.value) }, uniquingKeysWith: +))
        }

        var description: String {
            "placed \(placed.map { "\($0)" } ?? "none"), requests \(requests.map { "\($0)" } ?? "none"), "
                + "up \(up.map { "\($0)" } ?? "none"), running per host \(runningPerHost)"
        }
    }
}
