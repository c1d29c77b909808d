import FlotillaAPI
import FlotillaCore
import Foundation
import HTTPTypes
import Testing

@testable import FlotillaServer

/// Surface C's vocabulary (docs/api/surface-c-vms.md, States) and routing of error shapes, as tables.
@Suite("Surface C: mapping tables")
struct VMMappingTests {
    @Test(
        "every internal state has its surface C state and status",
        arguments: [
            (InstanceState.pending, "BUILDING", "pending"), (.creating, "BUILDING", "pending"), (.starting, "BUILDING", "pending"),
            (.running, "ACTIVE", "running"), (.stopping, "SHUTOFF", "stopped"), (.stopped, "SHUTOFF", "stopped"),
            (.paused, "PAUSED", "paused"), (.restarting, "REBOOT", "restarting"), (.error, "ERROR", "error"),
            (.deleting, "DELETED", "deleted"), (.deleted, "DELETED", "deleted"),
        ])
    func states(inner: InstanceState, state: String, status: String) {
        #expect(VMMapping.state(inner) == state)
        #expect(VMMapping.status(inner) == status)
        #expect(VMMapping.stateNames.contains(state))
    }

    @Test("a hard restart shows HARD_REBOOT; flags follow the state")
    func hardRestart() {
        var i = Instance(
            id: "00000000-0000-0000-0000-000000000001", name: "x", kind: .vm, backend: .sim,
            spec: InstanceSpec(config: InstanceConfig(image: "debian-12")), createdAt: Date(timeIntervalSince1970: 0))
        i.state = .restarting
        i.hardRestart = true
        let vm = VMMapping.vm(i)
        #expect(vm.state == "HARD_REBOOT")
        #expect(vm.status == "restarting")
        #expect(vm.isTransitioning && !vm.isRunning && !vm.isStopped)
        i.state = .stopped
        #expect(VMMapping.vm(i).isStopped)
        #expect(!VMMapping.vm(i).isTransitioning)
    }

    @Test(
        "error shapes are chosen by path",
        arguments: [
            ("/api/v1/vms", true), ("/api/v1/vms/abc/start", true), ("/api/v1/flavors", true), ("/api/v1/images/x", true),
            ("/api/v1/health", true), ("/api/v1/", true), ("/api/v1", true), ("/api/v1/vmsx", false),
            ("/api/v1/compute/instances", false), ("/api/v1/keys", false), ("/health", false), ("/api/v1/healthz", false),
        ])
    func surfaces(path: String, isVMs: Bool) {
        #expect((Surface.of(path: path) == .vms) == isVMs)
    }

    @Test("INVALID_VM_STATE and 422 statuses exist only on surface C; other codes keep their statuses")
    func statuses() {
        #expect(Surface.vms.status(of: .validationError).code == 422)
        #expect(Surface.compute.status(of: .validationError).code == 400)
        #expect(Surface.vms.name(of: .invalidState) == "INVALID_VM_STATE")
        #expect(Surface.vms.name(of: .instanceNotFound) == "VM_NOT_FOUND")
        #expect(Surface.compute.name(of: .invalidState) == "INVALID_STATE")
        for code in FlotillaError.Code.allCases where code != .validationError && code != .invalidBackend {
            #expect(Surface.vms.status(of: code) == Surface.compute.status(of: code), "\(code)")
        }
        #expect(Surface.snakeCased(["workerId": "a", "vm_id": "b"]) == ["worker_id": "a", "vm_id": "b"])
        #expect(FieldReader.alternatives(["SOFT", "HARD"]) == "'SOFT' or 'HARD'")
        #expect(FieldReader.alternatives(["a", "b", "c"]) == "'a', 'b' or 'c'")
    }
}
