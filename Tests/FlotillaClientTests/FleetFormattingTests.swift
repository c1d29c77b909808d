import FlotillaAPI
import Foundation
import Testing

@testable import FlotillaClient

@Suite("Fleet formatting")
struct FleetFormattingTests {
    static let created = Date(timeIntervalSince1970: 1_764_460_800)  // 2025-11-30T00:00:00Z

    static func vm(_ name: String, id: String, state: String = "running", host: String? = "h1", zone: String? = "z1") -> Global.VM {
        Global.VM(
            id: id, name: name, kind: "container", backend: "sim",
            spec: .init(
                image: "busybox", resources: .init(cpuCores: 0.5, memoryMB: 64, storageGB: 1), labels: ["tier": "web"],
                metadata: [:], placement: .init(zone: "z1", strategy: "spread"), restartPolicy: "always"),
            desired: "running",
            observed: .init(state: state, description: state == "error" ? "exit 3" : nil, launchedAt: nil, terminatedAt: nil),
            host: host.map { Global.HostRef(id: $0, address: "http://127.0.0.1:1", zone: zone) },
            revisions: .init(created: 5, modified: 9), createdAt: created, updatedAt: created)
    }

    @Test("the list is one aligned row per instance with its host and zone; unplaced shows -; a capped list says more match")
    func list() {
        let list = Global.VMList(
            items: [Self.vm("web-1", id: "a1"), Self.vm("web-2", id: "b2", state: "pending", host: nil)], nextCursor: nil, revision: 12)
        let lines = OutputFormatter.fleetList(list).split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("ID   NAME    BACKEND   KIND        STATE     DESIRED   HOST   ZONE   CREATED"))
        #expect(lines[1] == "a1   web-1   sim       container   running   running   h1     z1     2025-11-30T00:00:00Z")
        #expect(lines[2] == "b2   web-2   sim       container   pending   running   -      -      2025-11-30T00:00:00Z")
        var capped = list
        capped.nextCursor = "djE6..."
        #expect(OutputFormatter.fleetList(capped).hasSuffix("Showing the first 2 (--limit); more instances match.\n"))
        #expect(OutputFormatter.fleetList(Global.VMList(items: [], nextCursor: nil, revision: 1)) == "No instances.\n")
    }

    @Test("-q prints each id on its own line and nothing for an empty list")
    func ids() {
        #expect(OutputFormatter.idLines(["a", "b"]) == "a\nb\n")
        #expect(OutputFormatter.idLines([]) == "")
    }

    @Test("the detail names state with its reason, host with zone, resources, labels, placement and revisions")
    func detail() {
        let text = OutputFormatter.fleetDetail(Self.vm("web-1", id: "a1", state: "error"))
        #expect(text.contains("State:          error (exit 3)\n"))
        #expect(text.contains("Host:           h1 (zone z1)\n"))
        #expect(text.contains("Resources:      0.5 cores, 64 MB memory, 1 GB storage\n"))
        #expect(text.contains("Labels:         tier=web\n"))
        #expect(text.contains("Placement:      zone=z1 strategy=spread\n"))
        #expect(text.contains("Revisions:      created 5, modified 9\n"))
        #expect(!text.contains("Metadata"))
    }

    @Test("the status says who answered and whether it was routed, with usage when it runs")
    func status() {
        let usage = Global.Usage(
            cpu: .init(usagePercent: 12.5, cores: 0.5), memory: .init(usedBytes: 1 << 20, limitBytes: 64 << 20, percent: 1.6),
            storage: .init(usedBytes: 0, totalBytes: 1 << 30), network: .init(rxBytes: 10, txBytes: 20))
        let status = Global.Status(
            id: "a1", name: "web-1", kind: "container", backend: "sim", state: "running",
            host: .init(id: "h2", address: nil, zone: "z2"), servedBy: "h2", routed: true, observedAt: Self.created, usage: usage,
            revision: 42)
        let text = OutputFormatter.fleetStatus(status)
        #expect(text.contains("Host:      h2 (zone z2)\n"))
        #expect(text.contains("Served by: h2 (routed)\n"))
        #expect(text.contains("CPU:       12.5% of 0.5 cores\n"))
        #expect(text.contains("Revision:  42\n"))
        var pending = status
        (pending.host, pending.usage, pending.routed, pending.observedAt) = (nil, nil, false, nil)
        let unplaced = OutputFormatter.fleetStatus(pending)
        #expect(unplaced.contains("- (not placed yet)"))
        #expect(!unplaced.contains("CPU"))
    }

    @Test("an action's result names the instance, its state and host; a 202 says accepted")
    func actionResult() {
        let vm = Self.vm("web-1", id: "a1", state: "stopping")
        #expect(OutputFormatter.fleetActionResult("delete", vm, accepted: true) == "web-1 (a1): delete accepted, now stopping on h1\n")
        #expect(OutputFormatter.fleetActionResult("migrate", Self.vm("web-1", id: "a1"), accepted: false) == "web-1 (a1): running on h1\n")
    }
}
