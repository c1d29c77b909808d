import FlotillaAPI
import FlotillaClient
import FlotillaCore
import FlotillaTestSupport
import Foundation
import Testing

/// What the end-to-end VM tests (VMNetworkProcessTests, VMDiskProcessTests) share: a kvm host on TCG, the test
/// guest in the catalog through the CLI, kvm create requests, and the guest's console read through the API.
enum VMProcessSupport {
    /// The catalog entry of the test guest (kernel and initrd bundled).
    static let guestImage = "flotilla-test-guest"

    /// `flotilla serve` arguments of a kvm host under emulation (nested KVM hangs on the test machines).
    static let kvmArguments = ["--kvm-accel", "tcg"]

    /// A folder for a host's data and its QEMUs, removed when the stack unwinds after every QEMU under it was
    /// killed (pushed before any host starts, so it runs after they all stopped: no host restarts a VM).
    static func dataFolder(_ stack: FixtureStack, label: String) async -> String {
        let dir = KVMTestSupport.temporaryDirectory(label)
        await stack.push("QEMUs under \(dir) and the folder") {
            KVMTestSupport.killQEMUs(under: dir)
            try? FileManager.default.removeItem(atPath: dir)
        }
        return dir
    }

    /// Imports the test guest as one bundled entry with `flotilla image import`.
    static func importGuest(_ host: ServeProcess, _ guest: GuestImageFixture.Guest) async throws {
        let run = try await host.cli([
            "image", "import", guestImage, "--name", "Flotilla test guest", "--kernel", guest.kernel, "--initrd", guest.initrd,
        ])
        guard run.status == 0 else { throw ProcessFailure("image import failed (\(run.status)): \(run.out)\(run.err)") }
    }

    /// A kvm VM of one core and 192 MiB.
    static func request(_ name: String, config: Compute.Config) -> Compute.CreateRequest {
        Compute.CreateRequest(
            name: name, backend: "kvm", config: config, resources: .init(cpu: .init(cores: 1), memory: .init(limit: 192 << 20)))
    }

    /// The guest's console as the API serves it (`GET .../logs`).
    static func console(_ client: FlotillaClient, id: String) async throws -> String {
        let box = LockedBox("")
        try await client.logs(id: id, tail: 2000) { data in box.withLock { $0 += String(decoding: data, as: UTF8.self) } }
        return box.withLock { $0 }
    }

    /// Waits until the console holds every one of `lines` (each a whole line); returns the console. The cap is
    /// generous: a TCG guest boots in 10-40 s on an idle machine, several times that on a busy one.
    @discardableResult
    static func waitForConsole(
        _ client: FlotillaClient, id: String, lines: [String], timeout: Duration = .seconds(480)
    ) async throws -> String {
        var last = ""
        do {
            try await eventually("console of \(id) shows \(lines)", timeout: timeout, every: .seconds(2)) {
                last = try await console(client, id: id)
                let have = Set(last.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) })
                return lines.allSatisfy(have.contains)
            }
        } catch {
            let tail = last.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("FLOTILLA-") && !$0.hasPrefix("FLOTILLA-TICK") }
            throw ProcessFailure("\(error); the guest's FLOTILLA lines: \(tail)")
        }
        return last
    }
}
