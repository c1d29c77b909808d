import FlotillaAPI
import FlotillaTestSupport
import Foundation
import Testing

/// `flotilla vm`, `flotilla flavor` and `flotilla image` against a real `flotilla serve` process.
@Suite("flotilla vm, flavor and image as processes", .serialized)
struct VMCommandProcessTests {
    static func decode<T: Decodable>(_ type: T.Type, _ result: (status: Int32, out: String, err: String)) throws -> T {
        try WireJSON.decoder().decode(T.self, from: Data(result.out.utf8))
    }

    @Test("vm create, list, stop, start, reboot --hard, sync, delete; get then fails with VM_NOT_FOUND")
    func vmRoundTrip() async throws {
        try await FixtureStack.with { stack in
            let dir = try await stack.temporaryDirectory("cli")
            let host = try await stack.serve(dataDir: dir)
            let userData = dir + "/user-data"
            try "#cloud-config\nhostname: cli-vm\n".write(toFile: userData, atomically: true, encoding: .utf8)

            let created = try await host.cli([
                "vm", "create", "cli-vm", "--flavor", "m1.tiny", "--image", "debian-12", "--backend", "sim",
                "--description", "made by the CLI", "--key-name", "ops", "--user-data-file", userData,
                "--metadata", "team=infra", "--output", "json",
            ])
            #expect(created.status == 0, "\(created.err)")
            let vm = try Self.decode(VMs.VM.self, created)
            #expect(vm.state == "ACTIVE")
            #expect(vm.backend == "sim")
            #expect(vm.flavorId == "m1.tiny")
            #expect(vm.imageId == "debian-12")
            #expect(vm.description == "made by the CLI")
            #expect(vm.keyName == "ops")

            // A second VM whose name contains the first one's: a name must resolve to the exact match.
            let other = try await host.cli([
                "vm", "create", "cli-vm-2", "--flavor", "m1.tiny", "--image", "debian-12", "--backend", "sim", "--output", "json",
            ])
            #expect(other.status == 0, "\(other.err)")

            let listed = try await host.cli(["vm", "list", "--name", "cli-vm", "--state", "active", "--output", "json"])
            #expect(listed.status == 0, "\(listed.err)")
            let list = try Self.decode(VMs.VMList.self, listed)
            #expect(Set(list.items.map(\.name)) == ["cli-vm", "cli-vm-2"])
            let table = try await host.cli(["vm", "list"])
            #expect(table.out.hasPrefix("UUID "), "\(table.out)")
            #expect(table.out.contains(vm.uuid))

            let steps: [([String], String, String)] = [
                (["stop", "cli-vm"], "stop", "SHUTOFF"),
                (["start", vm.uuid], "start", "ACTIVE"),
                (["reboot", "cli-vm", "--hard"], "reboot_hard", "ACTIVE"),
            ]
            for (arguments, action, state) in steps {
                let r = try await host.cli(["vm"] + arguments + ["--output", "json"])
                #expect(r.status == 0, "\(arguments): \(r.err)")
                let result = try Self.decode(VMs.ActionResult.self, r)
                #expect(result.vmUUID == vm.uuid, "\(arguments)")
                #expect(result.action == action, "\(arguments)")
                #expect(result.currentState == state, "\(arguments)")
                let got = try Self.decode(VMs.VM.self, try await host.cli(["vm", "get", "cli-vm", "--output", "json"]))
                #expect(got.state == state, "\(arguments)")
            }

            let synced = try await host.cli(["vm", "sync", "cli-vm", "--output", "json"])
            #expect(synced.status == 0, "\(synced.err)")
            #expect(try Self.decode(VMs.VM.self, synced).uuid == vm.uuid)

            // A state error of the server comes back as code and message, exit 1.
            let badStart = try await host.cli(["vm", "start", "cli-vm"])
            #expect(badStart.status == 1)
            #expect(badStart.err.contains("INVALID_VM_STATE"), "\(badStart.err)")

            let deleted = try await host.cli(["vm", "delete", "cli-vm"])
            #expect(deleted.status == 0, "\(deleted.err)")
            #expect(deleted.out.contains("DELETED"), "\(deleted.out)")

            let gone = try await host.cli(["vm", "get", vm.uuid])
            #expect(gone.status == 1)
            #expect(gone.err.contains("VM_NOT_FOUND"), "\(gone.err)")
            let goneByName = try await host.cli(["vm", "get", "cli-vm"])
            #expect(goneByName.status == 1)
            #expect(goneByName.err.contains("VM_NOT_FOUND"), "\(goneByName.err)")
            // The other VM is untouched.
            let remaining = try Self.decode(VMs.VMList.self, try await host.cli(["vm", "list", "--output", "json"]))
            #expect(remaining.items.map(\.name) == ["cli-vm-2"])
        }
    }

    @Test("a 422 from the server names the bad fields; a bad argument is a usage error")
    func validationErrors() async throws {
        try await FixtureStack.with { stack in
            let host = try await stack.serve(dataDir: try await stack.temporaryDirectory("cli"))
            let longName = String(repeating: "x", count: 300)
            let invalid = try await host.cli(["vm", "create", longName, "--flavor", "m1.tiny", "--image", "debian-12", "--backend", "sim"])
            #expect(invalid.status == 1)
            #expect(invalid.err.contains("VALIDATION_ERROR"), "\(invalid.err)")
            #expect(invalid.err.contains("name:"), "\(invalid.err)")
            let missingFlavor = try await host.cli(["vm", "create", "v", "--flavor", "nope", "--image", "debian-12", "--backend", "sim"])
            #expect(missingFlavor.status == 1)
            #expect(missingFlavor.err.contains("RESOURCE_NOT_FOUND"), "\(missingFlavor.err)")
            let usage = try await host.cli(["vm", "create", "v", "--flavor", "m1.tiny", "--image", "debian-12", "--metadata", "oops"])
            #expect(usage.status == 2, "\(usage.err)")
        }
    }

    @Test("flavor create, get, list, delete")
    func flavorRoundTrip() async throws {
        try await FixtureStack.with { stack in
            let host = try await stack.serve(dataDir: try await stack.temporaryDirectory("cli"))
            let created = try await host.cli([
                "flavor", "create", "cli.small", "--vcpus", "2", "--memory-mb", "2048", "--disk-gb", "20", "--id", "cli-small",
                "--output", "json",
            ])
            #expect(created.status == 0, "\(created.err)")
            let flavor = try Self.decode(VMs.Flavor.self, created)
            #expect(flavor == VMs.Flavor(id: "cli-small", name: "cli.small", vcpus: 2, memoryMB: 2048, diskGB: 20))

            let got = try await host.cli(["flavor", "get", "cli-small"])
            #expect(got.status == 0, "\(got.err)")
            #expect(got.out.contains("Memory:    2GiB"), "\(got.out)")

            let listed = try Self.decode(VMs.FlavorList.self, try await host.cli(["flavor", "list", "--output", "json"]))
            #expect(listed.items.contains(flavor))
            #expect(listed.items.contains { $0.id == "m1.tiny" })

            let deleted = try await host.cli(["flavor", "delete", "cli-small"])
            #expect(deleted.status == 0, "\(deleted.err)")
            let after = try Self.decode(VMs.FlavorList.self, try await host.cli(["flavor", "list", "--output", "json"]))
            #expect(!after.items.contains { $0.id == "cli-small" })
            let gone = try await host.cli(["flavor", "get", "cli-small"])
            #expect(gone.status == 1)
            #expect(gone.err.contains("RESOURCE_NOT_FOUND"), "\(gone.err)")
        }
    }

    @Test("image import with a docker reference, list, delete")
    func imageRoundTrip() async throws {
        try await FixtureStack.with { stack in
            let host = try await stack.serve(dataDir: try await stack.temporaryDirectory("cli"))
            let imported = try await host.cli([
                "image", "import", "cli-alpine", "--name", "CLI Alpine", "--docker-reference", "alpine:3.20",
                "--os-distro", "alpine", "--os-version", "3.20", "--output", "json",
            ])
            #expect(imported.status == 0, "\(imported.err)")
            let image = try Self.decode(VMs.Image.self, imported)
            #expect(image.id == "cli-alpine")
            #expect(image.name == "CLI Alpine")
            #expect(image.artifacts.dockerReference == "alpine:3.20")
            #expect(image.artifacts.kernelPath == nil)
            #expect(image.backends.contains("docker"))
            #expect(!image.backends.contains("kvm"))

            let table = try await host.cli(["image", "list"])
            #expect(table.status == 0, "\(table.err)")
            #expect(table.out.contains("cli-alpine"), "\(table.out)")
            let listed = try Self.decode(VMs.ImageList.self, try await host.cli(["image", "list", "--output", "json"]))
            #expect(listed.items.contains { $0.id == "cli-alpine" })

            let again = try await host.cli(["image", "import", "cli-alpine", "--name", "again", "--docker-reference", "alpine:3.20"])
            #expect(again.status == 1, "\(again.err)")

            let deleted = try await host.cli(["image", "delete", "cli-alpine"])
            #expect(deleted.status == 0, "\(deleted.err)")
            let gone = try await host.cli(["image", "get", "cli-alpine"])
            #expect(gone.status == 1)
            #expect(gone.err.contains("RESOURCE_NOT_FOUND"), "\(gone.err)")
        }
    }
}
