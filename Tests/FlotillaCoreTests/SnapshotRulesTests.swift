import FlotillaCore
import Foundation
import Testing

/// The pure snapshot decisions (docs/decisions/0028-snapshots.md): names, the spec of an instance made from a
/// snapshot, when such an instance cannot be created, and the registry's reduction of snapshot records.
@Suite struct SnapshotRulesTests {
    static let snapshotId = "01JDZ8Y7Q3S6W9B2C5F8H1K4M7"

    static func snapshot(memory: Bool, backend: BackendKind = .kvm, host: String = "host-a") -> Snapshot {
        var spec = InstanceSpec(
            config: InstanceConfig(
                image: "guest",
                networks: [NetworkInterface(network: "lan", address: IPv4Address("10.0.0.5"), mac: "52:54:00:00:00:05")]),
            resources: Resources(cpuCores: 1, memoryBytes: 128 << 20),
            placement: PlacementConstraints(zone: "z1", workerId: "host-old"))
        spec.labels = ["app": "counter"]
        return Snapshot(
            id: snapshotId, name: "s", instanceId: "i-1", instanceName: "counter", kind: .vm, backend: backend, hostId: host,
            spec: spec, artifact: SnapshotArtifact(location: "/snapshots/s", sizeBytes: 10, includesMemory: memory),
            createdAt: Date(timeIntervalSince1970: 1_700_000_000))
    }

    @Test(
        "a snapshot's name: the one asked for if it is a valid name, else <instance>-<id> within the byte cap",
        arguments: [
            (String?.none, "counter", "counter-01jdz8y7q3s6w9b2c5f8h1k4m7"),
            ("before upgrade", "counter", "before upgrade"),
            ("", "counter", nil),
            (" padded", "counter", nil),
            ("a/b", "counter", nil),
            ("line\nbreak", "counter", nil),
            (String(repeating: "x", count: 256), "counter", nil),
            (nil, String(repeating: "n", count: 255), String(repeating: "n", count: 228) + "-01jdz8y7q3s6w9b2c5f8h1k4m7"),
        ] as [(String?, String, String?)])
    func names(requested: String?, instance: String, expected: String?) {
        let result = try? SnapshotRules.name(requested: requested, instanceName: instance, snapshotId: Self.snapshotId)
        #expect(result == expected)
        if let result { #expect(result.utf8.count <= NameRule.Kind.instance.maxBytes) }
    }

    @Test("a refused name is a validation error on field name")
    func refusedNameIsValidation() {
        do {
            _ = try SnapshotRules.name(requested: "a/b", instanceName: "x", snapshotId: Self.snapshotId)
            Issue.record("a name with / was accepted")
        } catch {
            #expect(error.code == .validationError)
            #expect(error.details["field"] == .string("name"))
        }
    }

    @Test(
        "an instance made from a snapshot runs on the holding host, or on the target asked for; with memory it keeps the guest's addresses",
        arguments: [(true, nil), (false, nil), (true, "host-b"), (false, "host-b")] as [(Bool, String?)])
    func restoredSpec(memory: Bool, target: String?) {
        let snapshot = Self.snapshot(memory: memory)
        let spec = SnapshotRules.restoredSpec(snapshot, target: target)
        #expect(spec.placement.workerId == (target ?? "host-a"))
        #expect(spec.placement.zone == "z1")
        #expect(spec.labels == ["app": "counter"])
        #expect(spec.resources == snapshot.spec.resources)
        let interface = spec.config.networks?.first
        #expect(interface?.network == "lan")
        #expect(interface?.address == (memory ? IPv4Address("10.0.0.5") : nil))
        #expect(interface?.mac == (memory ? "52:54:00:00:00:05" : nil))
    }

    @Test(
        "a docker snapshot is made into containers only on its holder; kvm and sim ones anywhere",
        arguments: [
            (BackendKind.docker, nil, nil), (.docker, "host-a", nil), (.docker, "host-b", "host-a"), (.kvm, "host-b", nil),
            (.sim, "host-b", nil), (.kvm, nil, nil),
        ] as [(BackendKind, String?, String?)])
    func targetProblem(backend: BackendKind, target: String?, refusedNaming holder: String?) {
        let snapshot = Self.snapshot(memory: false, backend: backend)
        let problem = SnapshotRules.targetProblem(snapshot, target: target)
        if let holder {
            #expect(problem?.contains("docker image on host \(holder)") == true, "\(problem ?? "nil")")
        } else {
            #expect(problem == nil)
        }
    }

    @Test(
        "an instance asked to be made from a snapshot can be only while the snapshot exists, on its backend",
        arguments: [
            (String?.none, true, BackendKind.kvm, String?.none),
            (snapshotId, true, .kvm, nil),
            (snapshotId, false, .kvm, "snapshot 01JDZ8Y7Q3S6W9B2C5F8H1K4M7 no longer exists"),
            (snapshotId, true, .docker, "snapshot 01JDZ8Y7Q3S6W9B2C5F8H1K4M7 was taken on the kvm backend, not docker"),
        ] as [(String?, Bool, BackendKind, String?)])
    func restoreProblem(restoredFrom: String?, exists: Bool, backend: BackendKind, expected: String?) {
        var instance = Instance(
            id: "new", name: "copy", kind: .vm, backend: backend, spec: InstanceSpec(config: InstanceConfig(image: "guest")),
            createdAt: Date(timeIntervalSince1970: 0))
        instance.restoredFrom = restoredFrom
        #expect(SnapshotRules.restoreProblem(instance, snapshot: exists ? Self.snapshot(memory: true) : nil) == expected)
    }

    @Test("the registry reduces snapshot records: put, then delete")
    func reducer() throws {
        var log = StoreLog()
        var state = RegistryState()
        let snapshot = Self.snapshot(memory: true)
        let key = StoreKeys.snapshot(snapshot.id)
        #expect(key == "/flotilla/snapshots/01JDZ8Y7Q3S6W9B2C5F8H1K4M7")
        let put = RegistryReducer.apply(WatchBatch(events: [try log.put(key, snapshot)]), to: &state)
        #expect(put == [.snapshot(id: snapshot.id)])
        #expect(state.snapshots[snapshot.id] == snapshot)
        let deleted = RegistryReducer.apply(WatchBatch(events: [log.delete(key)]), to: &state)
        #expect(deleted == [.snapshot(id: snapshot.id)])
        #expect(state.snapshots.isEmpty)
        #expect(state.undecodable.isEmpty)
    }
}
