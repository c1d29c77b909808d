import FlotillaCore
import Foundation
import Testing

@Suite struct RegistryRepairTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let policy = RegistryRepairPolicy(tombstoneRetention: 600)

    static func instance(
        _ id: String, on worker: String?, state: InstanceState = .running, desired: DesiredState = .running,
        migratedFrom: String? = nil, updatedAgo: TimeInterval = 5, onHostLost: HostLossPolicy? = nil
    ) -> Versioned<Instance> {
        var i = Instance(
            id: id, name: "vm-\(id)", kind: .vm, backend: .sim,
            spec: InstanceSpec(config: InstanceConfig(image: "busybox"), placement: PlacementConstraints(onHostLost: onHostLost)),
            createdAt: now.addingTimeInterval(-1000))
        i.workerId = worker
        i.state = state
        i.desired = desired
        i.migratedFrom = migratedFrom
        i.updatedAt = now.addingTimeInterval(-updatedAgo)
        i.stopOptions = StopOptions(force: true, timeoutSeconds: 3)
        return Versioned(value: i, modRevision: 7, createRevision: 3)
    }

    static func state(_ instances: [Versioned<Instance>]) -> RegistryState {
        var s = RegistryState()
        for i in instances { s.instances[i.value.id] = i }
        return s
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var instance: Versioned<Instance>
        /// nil: no repair expected.
        var expected: Expected?
        var testDescription: String { name }
    }

    enum Expected: Sendable, Equatable {
        case rescheduled(desired: DesiredState)
        case deleted
        case forgotten
    }

    static let rows: [Row] = [
        Row(name: "running on a dead worker: rescheduled", instance: instance("a", on: "dead"), expected: .rescheduled(desired: .running)),
        Row(
            name: "stopped on a dead worker: rescheduled, stays stopped",
            instance: instance("b", on: "dead", state: .stopped, desired: .stopped), expected: .rescheduled(desired: .stopped)),
        Row(
            name: "paused on a dead worker: a new copy runs",
            instance: instance("c", on: "dead", state: .paused, desired: .paused), expected: .rescheduled(desired: .running)),
        Row(
            name: "creating on a dead worker: rescheduled",
            instance: instance("d", on: "dead", state: .creating), expected: .rescheduled(desired: .running)),
        Row(
            name: "being deleted on a dead worker: deleted, name released",
            instance: instance("e", on: "dead", state: .deleting, desired: .deleted), expected: .deleted),
        Row(name: "running on a live worker: left alone", instance: instance("f", on: "alive"), expected: nil),
        Row(
            name: "opted out (onHostLost keep) on a dead worker: left on it", instance: instance("l", on: "dead", onHostLost: .keep),
            expected: nil),
        Row(
            name: "opted out but being deleted on a dead worker: deleted",
            instance: instance("m", on: "dead", state: .deleting, desired: .deleted, onHostLost: .keep), expected: .deleted),
        Row(
            name: "onHostLost reschedule said outright: rescheduled",
            instance: instance("n", on: "dead", onHostLost: .reschedule), expected: .rescheduled(desired: .running)),
        Row(name: "pending, not placed: left alone", instance: instance("g", on: nil, state: .pending), expected: nil),
        Row(
            name: "fresh tombstone: kept", instance: instance("h", on: "alive", state: .deleted, desired: .deleted, updatedAgo: 60),
            expected: nil),
        Row(
            name: "old tombstone: forgotten",
            instance: instance("i", on: "alive", state: .deleted, desired: .deleted, updatedAgo: 601), expected: .forgotten),
        Row(
            name: "old tombstone whose old worker has not cleaned up: kept",
            instance: instance("j", on: "alive", state: .deleted, desired: .deleted, migratedFrom: "dead", updatedAgo: 601),
            expected: nil),
        Row(
            name: "old tombstone whose old worker came back: forgotten",
            instance: instance("k", on: "alive", state: .deleted, desired: .deleted, migratedFrom: "alive", updatedAgo: 601),
            expected: .forgotten),
    ]

    /// Whether writing `new` over `old` deletes the name reservation.
    static func releasesName(old: Instance, new: Instance) -> Bool {
        let ops = (try? InstanceTransitions.writeOps(old: old, new: new)) ?? []
        return ops.contains(.delete(key: StoreKeys.name(new.name)))
    }

    @Test("each instance gets the repair its worker and age call for", arguments: rows)
    func repair(_ row: Row) {
        let repairs = Self.policy.repairs(in: Self.state([row.instance]), deadWorkers: ["dead"], now: Self.now)
        guard let expected = row.expected else {
            #expect(repairs.isEmpty)
            return
        }
        #expect(repairs.count == 1)
        switch (expected, repairs.first) {
        case (.rescheduled(let desired), .replace(let old, let new)?):
            #expect(old == row.instance)
            #expect(!Self.releasesName(old: old.value, new: new))
            #expect(new.workerId == nil)
            #expect(new.state == .pending)
            #expect(new.desired == desired)
            #expect(new.migratedFrom == "dead")
            #expect(new.stateDescription == "rescheduled: worker dead went offline")
            #expect(new.stopOptions == StopOptions())
            #expect(new.updatedAt == Self.now)
            #expect(new.spec == old.value.spec && new.name == old.value.name && new.createdAt == old.value.createdAt)
        case (.deleted, .replace(let old, let new)?):
            #expect(old == row.instance)
            #expect(Self.releasesName(old: old.value, new: new))
            #expect(new.state == .deleted)
            #expect(new.workerId == "dead")
            #expect(new.migratedFrom == "dead")
            #expect(new.terminatedAt == Self.now)
        case (.forgotten, .forget(let old)?):
            #expect(old == row.instance)
        default:
            Issue.record("expected \(expected), got \(repairs)")
        }
    }

    @Test("offline workers are those instances refer to without a heartbeat")
    func offlineWorkers() {
        var s = Self.state([
            Self.instance("a", on: "w-alive"), Self.instance("b", on: "w-gone"),
            Self.instance("c", on: "w-unknown"), Self.instance("d", on: nil, state: .pending),
            Self.instance("e", on: "w-alive", state: .deleted, desired: .deleted, migratedFrom: "w-old"),
        ])
        for id in ["w-alive", "w-gone", "w-old"] {
            let worker = Worker(
                id: id, hostname: id, address: "http://\(id)", capabilities: [.sim],
                capacity: WorkerCapacity(cpuCores: 4, memoryMB: 4096, diskGB: 10, maxInstances: 10), startedAt: Self.now)
            s.workers[id] = Versioned(value: worker, modRevision: 1, createRevision: 1)
        }
        s.heartbeats["w-alive"] = Versioned(value: Heartbeat(workerId: "w-alive", at: Self.now), modRevision: 2, createRevision: 2)
        #expect(s.offlineWorkersHoldingInstances() == ["w-gone", "w-unknown", "w-old"])
    }
}
