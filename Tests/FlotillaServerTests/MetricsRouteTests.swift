import FlotillaCluster
import FlotillaCore
import FlotillaHost
import FlotillaTestSupport
import Foundation
import HTTPTypes
import Testing

@testable import FlotillaServer

/// `GET /metrics` on an in-process host (ADR 0021): what it counts is what the test did.
@Suite("Metrics: /metrics counts what happened")
struct MetricsRouteTests {
    @Test("N requests to a route show as N under its template and status, with N latencies")
    func requestsByTemplate() async throws {
        try await withProbe { probe, _ in
            let id = try await probe.createSim("m-req")
            for _ in 0..<7 { #expect(try await probe.get("/api/v1/compute/instances/\(id)").status == 200) }
            #expect(try await probe.get("/api/v1/compute/instances/00000000-0000-4000-8000-00000000dead").status == 404)
            let scrape = try await Scrape(probe)
            let route = "/api/v1/compute/instances/:id"
            let labels = ["surface": "compute", "route": route, "method": "GET"]
            #expect(scrape.value("flotilla_http_requests_total", labels.merging(["status": "200"]) { a, _ in a }) == 7)
            #expect(scrape.value("flotilla_http_requests_total", labels.merging(["status": "404"]) { a, _ in a }) == 1)
            #expect(scrape.value("flotilla_http_request_duration_seconds_count", labels) == 8)
            // No id in any label: the raw path never becomes a series.
            #expect(!scrape.text.contains(id))
        }
    }

    @Test("a path no route matches counts as route=\"unmatched\", a wrong method too")
    func unmatched() async throws {
        try await withProbe { probe, _ in
            // Path parts no number in the scrape can contain (a duration sum once read 0.001123456).
            #expect(try await probe.get("/no/such/path/unmatched-marker-a").status == 404)
            #expect(try await probe.get("/no/such/path/unmatched-marker-b").status == 404)
            #expect(try await probe.call(.patch, "/api/v1/keys").status == 405)
            let scrape = try await Scrape(probe)
            let unmatched = ["surface": "unmatched", "route": "unmatched", "method": "GET", "status": "404"]
            #expect(scrape.value("flotilla_http_requests_total", unmatched) == 2)
            #expect(
                scrape.value(
                    "flotilla_http_requests_total", ["surface": "unmatched", "route": "unmatched", "method": "PATCH", "status": "405"]) == 1
            )
            #expect(!scrape.text.contains("unmatched-marker"), "a path is never a label value")
        }
    }

    @Test("an instance created on a single host: one placement, one running sim instance, the host leads")
    func placementAndInstances() async throws {
        try await withProbe { probe, host in
            _ = try await probe.createSim("m-place")
            let scrape = try await Scrape(probe)
            #expect(scrape.value("flotilla_placements_total", ["outcome": "placed"]) == 1)
            #expect(scrape.value("flotilla_placement_duration_seconds_count", [:]) == 1)
            #expect(scrape.value("flotilla_instances", ["state": "running", "backend": "sim"]) == 1)
            #expect(scrape.value("flotilla_instances", ["state": "stopped", "backend": "sim"]) == 0)
            #expect(scrape.value("flotilla_instances_pending", [:]) == 0)
            #expect(scrape.value("flotilla_leader", [:]) == 1)
            #expect((scrape.value("flotilla_leader_term", [:]) ?? 0) > 0)
            #expect(scrape.value("flotilla_store_up", [:]) == 1)
            #expect(scrape.value("flotilla_build_info", ["version": FlotillaHost.version]) == 1)
            let worker = ["worker": host.host.identity.hostId, "zone": ""]
            #expect(scrape.value("flotilla_worker_up", worker) == 1)
            #expect(scrape.value("flotilla_worker_capacity_cpus", worker) == 64)
            #expect(scrape.value("flotilla_worker_capacity_memory_bytes", worker) == Double(65536 * 1_048_576))
            #expect(scrape.value("flotilla_worker_allocated_cpus", worker) == 1)
            #expect(scrape.value("flotilla_worker_allocated_memory_bytes", worker) == Double(256 * 1_048_576))
            #expect(scrape.value("flotilla_worker_allocated_instances", worker) == 1)
            // The agent created and started it through the counted backend; the create went through the store.
            #expect((scrape.value("flotilla_backend_calls_total", ["backend": "sim", "operation": "create", "outcome": "ok"]) ?? 0) >= 1)
            #expect((scrape.value("flotilla_backend_calls_total", ["backend": "sim", "operation": "start", "outcome": "ok"]) ?? 0) >= 1)
            #expect((scrape.value("flotilla_store_operations_total", ["operation": "txn", "outcome": "ok"]) ?? 0) >= 1)
            #expect(scrape.value("flotilla_agent_reconcile_lag_seconds", [:]) == 0)
        }
    }

    @Test("/metrics needs a key: none or a wrong one is 401; a reader's answers in Prometheus' text format")
    func access() async throws {
        try await withProbe { probe, _ in
            #expect(try await probe.with(key: nil).get("/metrics").status == 401)
            #expect(try await probe.with(key: "flt_wrong_key_0123456789abcdef").get("/metrics").status == 401)
            let reader = try #require(try await probe.post("/api/v1/keys", #"{"name":"scraper","role":"reader"}"#)["key"])
            let reply = try await probe.with(key: nil).call(.get, "/metrics", headers: [.authorization: "Bearer \(reader)"])
            #expect(reply.status == 200)
            #expect(reply.headers[.contentType]?.hasPrefix("text/plain") == true)
            #expect(reply.text.contains("# TYPE flotilla_http_requests_total counter"))
        }
    }

    @Test("a host started with metrics off answers /metrics with 404 NOT_FOUND")
    func off() async throws {
        try await withProbe(configure: { $0.metrics = false }) { probe, _ in
            let reply = try await probe.get("/metrics")
            #expect(reply.status == 404)
            #expect(reply.errorCode == "NOT_FOUND")
            #expect(reply.error["message"] as? String == "metrics are off on this host")
        }
    }
}
