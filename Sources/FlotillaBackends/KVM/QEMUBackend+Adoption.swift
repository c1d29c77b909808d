import FlotillaCore
import Foundation
import Logging

extension QEMUBackend {
    /// Reads the instance folders once: instances created before a restart are known again, and their
    /// running QEMUs adopted.
    func ensureLoaded() async throws {
        guard !loaded else { return }
        loaded = true
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: configuration.directory, withIntermediateDirectories: true)
        } catch {
            loaded = false
            throw BackendError.unavailable("cannot create \(configuration.directory): \(error)")
        }
        hostToken = loadHostToken()
        do { try openSharedStorage() } catch {
            loaded = false
            throw error
        }
        let names = (try? fm.contentsOfDirectory(atPath: configuration.directory)) ?? []
        var adopted = 0
        for name in names.sorted() {
            let files = QEMUInstanceFiles(root: configuration.directory, id: name)
            guard let ownerText = try? String(contentsOfFile: files.owner, encoding: .utf8),
                let owner = QEMUOwnerMarker(text: ownerText), owner.id == name, owner.hostToken == hostToken,
                let data = fm.contents(atPath: files.record),
                let record = try? JSONDecoder().decode(QEMUInstanceRecord.self, from: data), record.id == name
            else { continue }
            var vm = VM(record: record, files: QEMUInstanceFiles(root: configuration.directory, id: name, diskDirectory: record.diskFolder))
            if let process = await adopt(files) {
                vm.process = process.0
                vm.qmpStatus = process.1
                adopted += 1
            } else if fm.fileExists(atPath: files.pidFile) {
                vm.last = ObservedInstance(
                    id: name, state: .stopped,
                    description: "QEMU was not running when Flotilla started again (exit status unknown)")
                try? fm.removeItem(atPath: files.pidFile)
                try? fm.removeItem(atPath: files.qmpSocket)
            } else if fm.fileExists(atPath: files.console) {
                vm.last = ObservedInstance(id: name, state: .stopped, description: nil)
            }
            vms[name] = vm
            if let process = vm.process { await startWatcher(name, process) }
        }
        if !vms.isEmpty {
            logger.info("kvm instances found", metadata: ["instances": "\(vms.count)", "adopted": "\(adopted)"])
        }
        await removeOrphanLinks()
    }

    /// A QEMU of this instance still running: its pid file names a live process whose command line has
    /// this instance's QMP socket, and QMP answers.
    func adopt(_ files: QEMUInstanceFiles) async -> (QEMUProcess, ObservedInstance.State)? {
        guard let text = try? String(contentsOfFile: files.pidFile, encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), QEMUProcess.isAlive(pid),
            QEMUProcess.commandLine(pid).contains(where: { $0.contains(files.qmpSocket) })
        else { return nil }
        guard let status = try? await QMPClient.execute(socketPath: files.qmpSocket, "query-status", timeout: configuration.qmpTimeout)
        else {
            logger.warning(
                "a QEMU runs for this instance but QMP does not answer; not adopted",
                metadata: ["pid": "\(pid)", "dir": "\(files.directory)"])
            return nil
        }
        logger.info("adopted a running QEMU", metadata: ["pid": "\(pid)", "dir": "\(files.directory)"])
        return (QEMUProcess.adopt(pid: pid, outputPath: files.qemuLog), Self.state(ofQMPStatus: status))
    }

    func loadHostToken() -> String {
        let path = configuration.directory + "/host-token"
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !token.isEmpty { return token }
        }
        let token = UUID().uuidString.lowercased()
        try? Data((token + "\n").utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        return token
    }
}
