import FlotillaAPI
import FlotillaClient
import FlotillaCore
import FlotillaTestSupport
import Foundation
import Testing

/// `--network NAME[=ADDRESS]` and `--disk ID:size=SIZE|ID:image=IMAGE[:size=SIZE][:ro]` of `flotilla instance
/// create` and `flotilla fleet create` (docs/cli.md), as tables, and the commands against a real `flotilla serve`
/// with a network: the addresses in `get`, exit status 2 for bad syntax before any request.
@Suite("CLI --network and --disk")
struct InstanceDeviceArgumentTests {
    @Test(
        "--network values",
        arguments: [
            ("vmnet", NetworkInterface(network: "vmnet")),
            ("vmnet=10.77.0.10", NetworkInterface(network: "vmnet", address: IPv4Address("10.77.0.10"))),
            ("a-1=192.168.1.254", NetworkInterface(network: "a-1", address: IPv4Address("192.168.1.254"))),
        ])
    func networks(text: String, expected: NetworkInterface) throws {
        #expect(try NetworkArgument.parse(text) == expected)
    }

    @Test(
        "bad --network values say what is wrong",
        arguments: [
            ("", "network name"), ("=10.0.0.1", "network name"), ("VMNET", "network name"), ("vmnet=", "not an IPv4 address"),
            ("vmnet=10.0.0", "not an IPv4 address"), ("vmnet=10.0.0.1/24", "not an IPv4 address"),
            ("vmnet=10.0.0.256", "not an IPv4 address"), ("averyveryverylongname", "network name"),
        ])
    func badNetworks(text: String, says: String) {
        #expect(throws: InvalidInput.self) { try NetworkArgument.parse(text) }
        do {
            _ = try NetworkArgument.parse(text)
        } catch {
            #expect(error.message.contains(says), "\(error.message)")
            #expect(error.message.contains("NAME=ADDRESS"), "the usage is shown: \(error.message)")
        }
    }

    @Test(
        "--disk values",
        arguments: [
            ("data:size=8M", DiskSpec(id: "data", sizeBytes: 8_000_000)),
            ("data:size=1GiB", DiskSpec(id: "data", sizeBytes: 1 << 30)),
            ("base:image=debian-disk", DiskSpec(id: "base", image: "debian-disk")),
            ("base:image=debian-disk:ro", DiskSpec(id: "base", image: "debian-disk", readOnly: true)),
            ("b_2:ro:image=d:size=2G", DiskSpec(id: "b_2", image: "d", sizeBytes: 2_000_000_000, readOnly: true)),
        ])
    func disks(text: String, expected: DiskSpec) throws {
        #expect(try DiskArgument.parse(text) == expected)
    }

    @Test(
        "bad --disk values say what is wrong",
        arguments: [
            ("data", "needs a size or an image"), ("data:ro", "needs a size or an image"), (":size=8M", "disk id"),
            ("data:size=8X", "not a size"), ("data:size=0", "larger than 0"), ("data:size=8M:size=9M", "more than once"),
            ("data:image=", "image is empty"), ("data:format=raw", "not size=SIZE"), ("data:ro=yes:size=1M", "not size=SIZE"),
            ("a/b:size=1M", "disk id"), ("twenty-one-characters:size=1M", "disk id"),
        ])
    func badDisks(text: String, says: String) {
        do {
            _ = try DiskArgument.parse(text)
            Issue.record("\(text) was accepted")
        } catch {
            #expect(error.message.contains(says), "\(error.message)")
            #expect(error.message.contains("ID:size=SIZE"), "the usage is shown: \(error.message)")
        }
    }

    @Test("instance and fleet create put interfaces and disks on the instance; get shows the addresses; bad syntax exits 2")
    func commands() async throws {
        try await FixtureStack.with { stack in
            let host = try await stack.serve(
                dataDir: try await stack.temporaryDirectory("devices"),
                extra: ["--network", "vmnet=10.77.0.0/24", "--network", "appnet=10.78.0.0/24"])
            let made = try await host.cli([
                "instance", "create", "dev-a", "--backend", "sim", "--type", "vm", "--image", "busybox", "--memory", "64MiB",
                "--network", "vmnet=10.77.0.10", "--network", "appnet", "--disk", "data:size=8M", "--kernel-args", "quiet",
            ])
            #expect(made.status == 0, "\(made.err)")
            let shown = try await host.cli(["instance", "get", "dev-a"])
            #expect(shown.status == 0, "\(shown.err)")
            let mac10 = NetworkInterface.derivedMAC(network: "vmnet", address: IPv4Address("10.77.0.10")!)
            let mac2 = NetworkInterface.derivedMAC(network: "appnet", address: IPv4Address("10.78.0.2")!)
            #expect(shown.out.contains("Networks:"), "\(shown.out)")
            #expect(shown.out.contains("vmnet 10.77.0.10 \(mac10), appnet 10.78.0.2 \(mac2)"), "\(shown.out)")
            #expect(shown.out.contains("Disks:") && shown.out.contains("data empty 7.6MiB"), "8M is 8,000,000 bytes: \(shown.out)")
            #expect(shown.out.contains("Kernel args:") && shown.out.contains("quiet"), "\(shown.out)")

            let fleet = try await host.cli([
                "fleet", "create", "dev-d", "--backend", "sim", "--image", "busybox", "--memory", "64MiB", "--network", "vmnet=10.77.0.20",
                "--disk", "ro:image=busybox:ro", "--output", "json",
            ])
            // busybox is a catalog image without a disk: refused by the server (exit 1), the CLI syntax was fine.
            #expect(fleet.status == 1, "\(fleet.out) \(fleet.err)")
            let fleetOk = try await host.cli([
                "fleet", "create", "dev-d", "--backend", "sim", "--image", "busybox", "--memory", "64MiB", "--network", "vmnet=10.77.0.20",
                "--disk", "scratch:size=1MiB",
            ])
            #expect(fleetOk.status == 0, "\(fleetOk.err)")
            let record = try await host.cli(["fleet", "get", "dev-d"])
            #expect(record.out.contains("vmnet 10.77.0.20 "), "\(record.out)")
            #expect(record.out.contains("scratch empty 1MiB"), "\(record.out)")
            let vm = try await host.cli(["vm", "get", "dev-a"])
            #expect(vm.out.contains("10.77.0.10"), "surface C's ip_address: \(vm.out)")

            for bad in [
                ["instance", "create", "x", "--backend", "sim", "--image", "b", "--network", "vmnet=10.0.0"],
                ["instance", "create", "x", "--backend", "sim", "--image", "b", "--network", "Bad_Name"],
                ["instance", "create", "x", "--backend", "sim", "--image", "b", "--disk", "data"],
                ["instance", "create", "x", "--backend", "sim", "--image", "b", "--disk", "d:size=1M", "--disk", "d:size=2M"],
                ["instance", "create", "x", "--backend", "sim", "--image", "b", "--kernel-args", ""],
                ["fleet", "create", "x", "--backend", "sim", "--image", "b", "--disk", "d:size=lots"],
                ["fleet", "create", "x", "--backend", "sim", "--image", "b", "--network", "vmnet=1.2.3.4.5"],
                ["fleet", "create", "x", "--backend", "sim", "--image", "b", "--root-image", ""],
                ["vm", "create", "x", "--flavor", "m1.tiny", "--image", "b", "--ip-address", "10.77.0.5"],
                ["vm", "create", "x", "--flavor", "m1.tiny", "--image", "b", "--network", "vmnet", "--ip-address", "ten"],
            ] {
                let r = try await host.cli(bad)
                #expect(r.status == 2, "\(bad): \(r.status) \(r.err)")
                #expect(
                    r.err.contains("--network") || r.err.contains("--disk") || r.err.contains("must not be empty")
                        || r.err.contains("--ip-address"), "\(bad): \(r.err)")
            }
            let list = try await host.cli(["instance", "list", "-q"])
            #expect(Set(list.out.split(separator: "\n")).count == 2, "no instance from the refused commands: \(list.out)")
        }
    }
}
