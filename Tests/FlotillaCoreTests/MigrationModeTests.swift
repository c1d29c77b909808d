import FlotillaCore
import Foundation
import Testing

/// How an instance moves (``MigrationMode``): live only when it was asked for, the guest runs, its kind is a VM
/// backend's and both hosts' backends can; otherwise cold, with the reason the instance then records.
@Suite struct MigrationModeTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var backend: BackendKind = .kvm
        var state: InstanceState = .running
        var live = true
        var source = true
        var destination = true
        var expected: MigrationMode
        var testDescription: String { name }
    }

    static func instance(_ row: Row) -> Instance {
        var i = Instance(
            id: "i1", name: "vm", kind: row.backend == .docker ? .container : .vm, backend: row.backend,
            spec: InstanceSpec(config: InstanceConfig(image: "busybox"), resources: Resources(cpuCores: 1, memoryBytes: 128 << 20)),
            createdAt: Date(timeIntervalSince1970: 1_800_000_000))
        i.state = row.state
        i.workerId = "a"
        return i
    }

    static let rows: [Row] = [
        Row(name: "a running kvm VM, both hosts able: live", expected: .live),
        Row(name: "a running sim instance, both hosts able: live", backend: .sim, expected: .live),
        Row(name: "live not asked for: cold, saying so", live: false, expected: .cold(reason: "a cold move was asked for")),
        Row(
            name: "docker: cold, no CRIU", backend: .docker,
            expected: .cold(reason: "docker containers move cold: their processes are not carried over (no CRIU)")),
        Row(
            name: "docker without live asked: cold as asked", backend: .docker, live: false,
            expected: .cold(reason: "a cold move was asked for")),
        Row(
            name: "a stopped VM: nothing to carry over", state: .stopped,
            expected: .cold(reason: "it is stopped, not running: there is no running guest to carry over")),
        Row(
            name: "a paused VM: cold", state: .paused,
            expected: .cold(reason: "it is paused, not running: there is no running guest to carry over")),
        Row(
            name: "a VM in error: cold", state: .error,
            expected: .cold(reason: "it is error, not running: there is no running guest to carry over")),
        Row(
            name: "the source's backend cannot", source: false,
            expected: .cold(reason: "the source's kvm backend cannot migrate live")),
        Row(
            name: "the destination's backend cannot", destination: false,
            expected: .cold(reason: "the destination's kvm backend cannot migrate live")),
        Row(
            name: "neither can: the source is named first", backend: .sim, source: false, destination: false,
            expected: .cold(reason: "the source's sim backend cannot migrate live")),
        Row(
            name: "docker wins over an unable destination", backend: .docker, destination: false,
            expected: .cold(reason: "docker containers move cold: their processes are not carried over (no CRIU)")),
    ]

    @Test("mode and reason", arguments: rows)
    func decide(_ row: Row) {
        let mode = MigrationMode.decide(
            Self.instance(row), live: row.live, sourceCanMigrateLive: row.source, destinationCanMigrateLive: row.destination)
        #expect(mode == row.expected)
    }
}
