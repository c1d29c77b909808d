import FlotillaCore
import Foundation
import Logging

/// Writable disks on storage shared with other hosts (docs/decisions/0029-shared-disk-storage.md): where a new
/// instance's disks go, who may remove them, and whether an incoming live migration can use its source's disks as
/// they are.
extension QEMUBackend {
    /// Where an instance's writable disks are made.
    enum DiskPlacement: Sendable, Equatable {
        /// On the shared storage when this host has one, else in the instance folder.
        case `default`
        /// In the instance folder, whatever this host has (an incoming copy whose source's disks sit on the same
        /// shared storage but cannot be used here: the source's folder is never touched).
        case local
        /// The disks of a live migration's source, on the shared storage here too: used as they are, nothing made.
        case sourceShared
    }

    /// Opens the shared storage of ``Configuration/sharedDirectory`` (once).
    func openSharedStorage() throws {
        guard let directory = configuration.sharedDirectory, sharedStorage == nil else { return }
        do {
            sharedStorage = try QEMUSharedStorage.open(directory)
        } catch {
            throw BackendError.unavailable("cannot use the shared disk storage \(directory): \(error)")
        }
        logger.info("kvm disks on shared storage", metadata: ["dir": "\(directory)", "storage": "\(sharedStorage?.id ?? "-")"])
    }

    /// The files of a new instance `id`, its disks where `placement` says.
    func newInstanceFiles(_ id: String, placement: DiskPlacement) throws -> QEMUInstanceFiles {
        let local = QEMUInstanceFiles(root: configuration.directory, id: id)
        switch placement {
        case .local:
            return local
        case .default:
            guard let shared = sharedStorage else { return local }
            let folder = shared.diskFolder(id)
            guard !FileManager.default.fileExists(atPath: folder) else {
                throw BackendError.invalidRequest("the shared disk storage already holds disks of instance \(id) (\(folder))")
            }
            return QEMUInstanceFiles(root: configuration.directory, id: id, diskDirectory: folder)
        case .sourceShared:
            guard let shared = sharedStorage else { throw BackendError.invalidRequest("this host has no shared disk storage") }
            return QEMUInstanceFiles(root: configuration.directory, id: id, diskDirectory: shared.diskFolder(id))
        }
    }

    /// Makes the instance folder with its owner marker and, for disks made on the shared storage, their folder with
    /// this host's marker.
    func makeFolders(_ files: QEMUInstanceFiles, id: String, placement: DiskPlacement) throws {
        try FileManager.default.createDirectory(atPath: files.directory, withIntermediateDirectories: true)
        let marker = Data(QEMUOwnerMarker(id: id, hostToken: hostToken).text.utf8)
        try marker.write(to: URL(fileURLWithPath: files.owner))
        guard files.sharesDisks, placement != .sourceShared else { return }
        try FileManager.default.createDirectory(atPath: files.diskDirectory, withIntermediateDirectories: true)
        try marker.write(to: URL(fileURLWithPath: files.diskOwner))
    }

    /// Marks the shared disks as this host's (an incoming instance that now runs here on its source's disks).
    func claimSharedDisks(_ files: QEMUInstanceFiles, id: String) throws {
        guard files.sharesDisks else { return }
        try Data(QEMUOwnerMarker(id: id, hostToken: hostToken).text.utf8).write(
            to: URL(fileURLWithPath: files.diskOwner), options: .atomic)
    }

    /// Marks the shared disks as no host's (the guest moved live to another host that uses them): neither host
    /// removes them until the destination claims them once it owns the instance, or this host again when the move
    /// is undone.
    func releaseSharedDisks(_ files: QEMUInstanceFiles, id: String) {
        guard files.sharesDisks else { return }
        do {
            try Data(QEMUOwnerMarker(id: id, hostToken: "released-by-\(hostToken)").text.utf8).write(
                to: URL(fileURLWithPath: files.diskOwner), options: .atomic)
        } catch {
            logger.warning("could not mark shared disks as released", metadata: ["id": "\(id)", "error": "\(error)"])
        }
    }

    /// Removes an instance's shared disk folder when this host's instance uses it; another host's (the destination
    /// of a live migration, or the source of an aborted one) is left in place.
    func removeSharedDisks(_ files: QEMUInstanceFiles, id: String) {
        guard files.sharesDisks else { return }
        guard let text = try? String(contentsOfFile: files.diskOwner, encoding: .utf8), let marker = QEMUOwnerMarker(text: text),
            marker.id == id, marker.hostToken == hostToken
        else {
            logger.info("shared disks left in place: another host's instance uses them", metadata: ["id": "\(id)"])
            return
        }
        do { try FileManager.default.removeItem(atPath: files.diskDirectory) } catch {
            logger.warning("could not remove shared disks", metadata: ["id": "\(id)", "error": "\(error)"])
        }
    }

    /// The shared storage's identity when instance `id`'s disks are on it (a live migration to a host that shares it
    /// moves no disk), nil otherwise.
    public func sharedStorage(id: String) async -> String? {
        try? await ensureLoaded()
        guard let shared = sharedStorage, let record = vms[id]?.record, record.diskFolder == shared.diskFolder(id) else { return nil }
        return shared.id
    }

    /// Where the disks of an incoming instance go: the source's as they are when they sit on this host's shared
    /// storage (`sourceStorage` is its identity) and every file they stand on is here at the same path; else made
    /// here (never in the source's folder), and mirrored.
    func incomingPlacement(_ request: BackendCreateRequest, sourceStorage: String?) async -> DiskPlacement {
        guard let shared = sharedStorage else { return .default }
        let folder = shared.diskFolder(request.id)
        guard let sourceStorage, shared.id == sourceStorage else {
            return FileManager.default.fileExists(atPath: folder) ? .local : .default
        }
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".qcow2") }
        let expected = (request.spec.config.disks ?? []).map { "disk-\($0.id).qcow2" }
        if let missing = expected.first(where: { !files.contains($0) }) {
            logger.warning("shared disks not usable here; mirroring", metadata: ["id": "\(request.id)", "missing": "\(missing)"])
            return .local
        }
        for name in files {
            guard let base = await backingFile(of: folder + "/" + name) else { continue }
            if !FileManager.default.isReadableFile(atPath: base) {
                logger.warning(
                    "shared disks not usable here (their base is not at the same path); mirroring",
                    metadata: ["id": "\(request.id)", "disk": "\(name)", "base": "\(base)"])
                return .local
            }
        }
        return .sourceShared
    }

    /// The base a qcow2 file stands on, by `qemu-img info` (nil: none, or it could not be read).
    private func backingFile(of path: String) async -> String? {
        guard let qemuImg = Subprocess.which(configuration.qemuImgPath),
            let text = try? await Subprocess.run(qemuImg, ["info", "-U", "--output=json", path], timeout: .seconds(30)),
            let info = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        else { return nil }
        return (info["full-backing-filename"] ?? info["backing-filename"]) as? String
    }

    /// Lets the guest of an incoming instance on shared disks run (QMP `cont`), once the cluster named this host
    /// its owner; a no-op for any other instance.
    public func activateIncoming(id: String) async {
        guard awaitingActivation.remove(id) != nil, let vm = vms[id] else { return }
        do {
            try claimSharedDisks(vm.files, id: id)
            try await qmp(vm, "cont")
            vms[id]?.qmpStatus = .running
            changes.notify(id)
            logger.info("incoming kvm instance on shared disks runs here", metadata: ["id": "\(id)"])
        } catch {
            // Its agent sees a paused guest that should run, and resumes it.
            logger.warning("could not let the incoming guest run", metadata: ["id": "\(id)", "error": "\(error)"])
        }
    }
}
