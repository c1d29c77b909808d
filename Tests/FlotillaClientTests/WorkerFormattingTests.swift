import FlotillaAPI
import FlotillaClient
import Foundation
import Testing

@Suite("worker and cluster table output")
struct WorkerFormattingTests {
    static let worker = Workers.Worker(
        id: "worker-01", hostname: "node1.example.com", address: "192.168.1.10:8081", zone: "us-west-1a", status: "active",
        labels: ["tier": "compute", "env": "production"], capabilities: ["kvm", "docker"], cpuCores: 16, memoryMB: 32768,
        diskGB: 500, usedCpuCores: 4, usedMemoryMB: 8192, usedDiskGB: 50, cpuUsagePercent: 25, memoryUsagePercent: 25,
        vmCount: 3, maxVms: 100, startedAt: Date(timeIntervalSince1970: 1_762_077_600),
        lastSeen: Date(timeIntervalSince1970: 1_762_086_645), uptime: "2h30m45s", isHealthy: true)

    @Test("worker list: one aligned row per worker with used/total figures")
    func list() {
        let text = OutputFormatter.workerList(Workers.WorkerList(workers: [Self.worker], total: 1))
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines[0].hasPrefix("ID"))
        #expect(lines[1].contains("worker-01"))
        #expect(lines[1].contains("4/16"))
        #expect(lines[1].contains("8192/32768"))
        #expect(lines[1].contains("3/100"))
        #expect(lines[1].contains("2h30m45s"))
        #expect(OutputFormatter.workerList(Workers.WorkerList(workers: [], total: 0)) == "No workers.\n")
    }

    @Test("worker detail: percentages, sorted labels, last seen")
    func detail() {
        let text = OutputFormatter.workerDetail(Self.worker)
        #expect(text.contains("4 of 16 cores (25%)"))
        #expect(text.contains("env=production, tier=compute"))
        #expect(text.contains("2025-11-02T12:30:45Z"))
    }
}
