import Foundation
import Testing

/// The test guest of the `kvm` backend: a Debian kernel and a busybox initramfs whose init prints
/// ``marker`` on the serial console, then `FLOTILLA-TICK <n>` every second. Built by `scripts/guest-image.sh`
/// once per test process (the script itself caches under `.build/flotilla-guest`).
///
/// Tests that need QEMU use ``KVMTestSupport/enabled`` as their condition: they run when QEMU is installed or
/// when `FLOTILLA_REQUIRE_REAL=1` (then a missing QEMU or guest fails them, never skips them).
public enum GuestImageFixture {
    public struct Guest: Sendable, Equatable {
        public var kernel: String
        public var initrd: String
    }

    /// The line the guest's init prints once it runs.
    public static let marker = "FLOTILLA-GUEST-READY"

    /// The kernel and initrd; throws (a test failure) when they cannot be built.
    public static func guest() async throws -> Guest {
        try await cache.get()
    }

    private static let cache = GuestCache()
}

private actor GuestCache {
    private var result: Result<GuestImageFixture.Guest, any Error>?
    private var building = false

    func get() async throws -> GuestImageFixture.Guest {
        while building { try await Task.sleep(for: .milliseconds(100)) }
        if let result { return try result.get() }
        building = true
        defer { building = false }
        let built: Result<GuestImageFixture.Guest, any Error>
        do { built = .success(try await build()) } catch { built = .failure(error) }
        result = built
        return try built.get()
    }

    private func build() async throws -> GuestImageFixture.Guest {
        let script = ServeProcess.packageRoot + "/scripts/guest-image.sh"
        let output = try await KVMTestSupport.run("/bin/bash", [script], timeout: .seconds(600))
        var kernel: String?
        var initrd: String?
        for line in output.split(separator: "\n") {
            if line.hasPrefix("KERNEL=") { kernel = String(line.dropFirst("KERNEL=".count)) }
            if line.hasPrefix("INITRD=") { initrd = String(line.dropFirst("INITRD=".count)) }
        }
        guard let kernel, let initrd else { throw ProcessFailure("guest-image.sh printed no KERNEL/INITRD: \(output)") }
        return GuestImageFixture.Guest(kernel: kernel, initrd: initrd)
    }
}

/// Helpers for tests of the `kvm` backend.
public enum KVMTestSupport {
    /// Whether real QEMU tests must run (and fail when they cannot).
    public static var required: Bool { ProcessInfo.processInfo.environment["FLOTILLA_REQUIRE_REAL"] == "1" }

    /// Whether `qemu-system-x86_64` is on PATH.
    public static var qemuInstalled: Bool {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/qemu-system-x86_64") }
    }

    /// The condition of QEMU tests: run when QEMU is installed, or when real components are required (a
    /// missing QEMU then fails the test). Otherwise the test is skipped, with this reason.
    public static var enabled: Bool { required || qemuInstalled }
    public static let skipReason: Comment =
        "QEMU is not installed: apt-get install -y qemu-system-x86 qemu-utils (FLOTILLA_REQUIRE_REAL=1 makes this a failure)"

    /// Fails clearly when QEMU is missing.
    public static func requireQEMU() throws {
        guard qemuInstalled else {
            throw ProcessFailure("qemu-system-x86_64 is not installed: apt-get install -y qemu-system-x86 qemu-utils")
        }
    }

    /// A fresh folder for instance files, short enough for unix socket paths.
    public static func temporaryDirectory(_ label: String) -> String {
        let dir = "/tmp/flt-\(label)-\(UUID().uuidString.prefix(8).lowercased())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Kills every QEMU whose pid file is under `directory` (`<dir>/**/qemu.pid`): the clean-up of tests,
    /// which must never leave a VM running.
    public static func killQEMUs(under directory: String) {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return }
        for case let path as String in walker where path.hasSuffix("qemu.pid") {
            guard let text = try? String(contentsOfFile: directory + "/" + path, encoding: .utf8),
                let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0
            else { continue }
            let cmdline = (FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")).map { String(decoding: $0, as: UTF8.self) } ?? ""
            if cmdline.contains("qemu-system") { kill(pid, SIGKILL) }
        }
    }

    /// Whether a process with this pid runs (and is not a zombie).
    public static func isAlive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return !stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }

    /// Runs a program and returns its output; throws when it fails or outlives `timeout`.
    public static func run(_ executable: String, _ arguments: [String], timeout: Duration) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("flt-run-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: out) }
        let handle = try FileHandle(forWritingTo: out)
        process.standardOutput = handle
        process.standardError = FileHandle.standardError
        try process.run()
        try? handle.close()
        guard await process.exits(within: timeout, every: .milliseconds(100)) else {
            process.terminate()
            throw ProcessFailure("\(executable) did not finish within \(timeout)")
        }
        let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            throw ProcessFailure("\(executable) \(arguments.joined(separator: " ")) failed (\(process.terminationStatus)): \(text)")
        }
        return text
    }
}
