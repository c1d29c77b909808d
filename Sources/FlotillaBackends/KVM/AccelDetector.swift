import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Chooses KVM or TCG for the `kvm` backend.
///
/// `/dev/kvm` opening is not proof that KVM works: on nested machines it opens and a guest then hangs in
/// boot. In `auto` mode the detector therefore boots the kernel it is given under `-accel kvm` for a short
/// while and uses KVM only when the kernel's first console line ("Linux version") appears before the
/// deadline; otherwise TCG, with a warning. The answer is cached for the life of the detector.
public final class AccelDetector: Sendable {
    public enum Mode: String, Sendable, CaseIterable { case auto, kvm, tcg }

    public let mode: Mode
    let qemuPath: String
    let probeTimeout: Duration
    let workDir: String
    let logger: Logger
    private let cached = Mutex<QEMUCommandLine.Accel?>(nil)

    public init(
        mode: Mode, qemuPath: String, workDir: String, probeTimeout: Duration = .seconds(5),
        logger: Logger = Logger(label: "flotilla.backend.kvm.accel")
    ) {
        self.mode = mode
        self.qemuPath = qemuPath
        self.workDir = workDir
        self.probeTimeout = probeTimeout
        self.logger = logger
    }

    /// The accelerator to use, probing with `kernel` the first time in `auto` mode.
    public func accel(kernel: String?) async -> QEMUCommandLine.Accel {
        switch mode {
        case .kvm: return .kvm
        case .tcg: return .tcg
        case .auto: break
        }
        if let known = cached.withLock({ $0 }) { return known }
        let (answer, why) = await probe(kernel: kernel)
        if answer == .tcg {
            logger.warning("kvm acceleration does not work here; using TCG (slow)", metadata: ["reason": "\(why)"])
        } else {
            logger.info("kvm acceleration works", metadata: ["probe": "\(why)"])
        }
        return cached.withLock { c in
            if let c { return c }
            c = answer
            return answer
        }
    }

    /// The cached answer, if a probe ran.
    public var detected: QEMUCommandLine.Accel? { cached.withLock { $0 } }

    private func probe(kernel: String?) async -> (QEMUCommandLine.Accel, String) {
        let fd = open("/dev/kvm", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return (.tcg, "/dev/kvm cannot be opened: \(String(cString: strerror(errno)))") }
        Glibc.close(fd)
        guard let kernel else { return (.tcg, "no kernel to probe KVM with") }
        let dir = workDir + "/accel-probe-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let console = dir + "/console.log"
            let arguments = [
                "-M", "microvm", "-accel", "kvm", "-cpu", "host", "-smp", "1", "-m", "64", "-nodefaults",
                "-no-user-config", "-display", "none", "-chardev", "file,id=console,path=\(console)",
                "-serial", "chardev:console", "-no-reboot", "-kernel", kernel,
                "-append", "console=ttyS0 panic=-1",
            ]
            let qemu = try QEMUProcess.launch(
                executable: qemuPath, arguments: arguments, outputPath: dir + "/qemu.log", onExit: { _, _ in })
            qemu.expectExit()
            defer { qemu.kill() }
            let deadline = ContinuousClock.now + probeTimeout
            while ContinuousClock.now < deadline {
                if let data = FileManager.default.contents(atPath: console),
                    String(decoding: data, as: UTF8.self).contains("Linux version")
                {
                    _ = await qemu.waitForExit(timeout: .zero)
                    return (.kvm, "a probe guest printed its first line under KVM")
                }
                if let exit = qemu.exit {
                    let output = (try? String(contentsOfFile: dir + "/qemu.log", encoding: .utf8)) ?? ""
                    // QEMU's output may span lines: one log record carries it, its lines joined.
                    let oneLine = output.split(whereSeparator: \.isNewline).joined(separator: " | ")
                    return (.tcg, "the KVM probe failed (\(exit.description)): \(oneLine.prefix(300))")
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            qemu.kill()
            _ = await qemu.waitForExit(timeout: .seconds(2))
            return (.tcg, "/dev/kvm opens but a probe guest made no progress within \(probeTimeout)")
        } catch {
            return (.tcg, "the KVM probe could not run: \(error)")
        }
    }
}
