import FlotillaCore
import Foundation

extension QEMUBackend {
    /// The kernel, initrd and root disk of a request: the catalog's artifacts of `config.image`, or, when the
    /// image is not a catalog entry, `config.image` itself as the absolute path of a kernel (no initrd, no
    /// disk), the fallback for quick local use.
    static func artifacts(for request: BackendCreateRequest) throws(BackendError) -> ImageArtifacts {
        var artifacts = request.artifacts ?? ImageArtifacts()
        let image = request.spec.config.image
        if artifacts.kernelPath == nil && artifacts.rootDiskPath == nil && image.hasPrefix("/") {
            artifacts.kernelPath = image
        }
        guard artifacts.kernelPath != nil || artifacts.rootDiskPath != nil else {
            throw BackendError.invalidRequest(
                "image \(image) has no kvm artifacts (a kernel, or a root disk); register them with `flotilla image import`")
        }
        for (label, path) in [("kernel", artifacts.kernelPath), ("initrd", artifacts.initrdPath), ("root disk", artifacts.rootDiskPath)] {
            if let path, !FileManager.default.isReadableFile(atPath: path) {
                throw BackendError.invalidRequest("the \(label) of image \(image) is missing: \(path)")
            }
        }
        if let format = artifacts.rootDiskFormat ?? request.spec.config.diskFormat, !["raw", "qcow2"].contains(format) {
            throw BackendError.invalidRequest("root disk format must be raw or qcow2, got \(format)")
        }
        return artifacts
    }

    /// Makes the per-instance disk: a qcow2 overlay on the image's root disk, sized from the flavor (at
    /// least the base's size), or a blank qcow2 disk when the image has none and storage was asked for.
    /// Returns whether there is a disk.
    func prepareDisk(_ record: QEMUInstanceRecord, _ files: QEMUInstanceFiles) async throws -> Bool {
        guard let qemuImg = Subprocess.which(configuration.qemuImgPath) else {
            if record.rootDiskPath == nil { return false }
            throw BackendError.unavailable("\(configuration.qemuImgPath) is not installed")
        }
        if let base = record.rootDiskPath {
            let format = record.rootDiskFormat ?? record.spec.config.diskFormat ?? "qcow2"
            var arguments = ["create", "-q", "-f", "qcow2", "-F", format, "-b", base, files.overlay]
            if record.diskBytes > 0, record.diskBytes >= Self.fileSize(base) { arguments.append("\(record.diskBytes)") }
            _ = try await Subprocess.run(qemuImg, arguments, timeout: .seconds(60))
            return true
        }
        guard record.diskBytes > 0 else { return false }
        _ = try await Subprocess.run(qemuImg, ["create", "-q", "-f", "qcow2", files.overlay, "\(record.diskBytes)"], timeout: .seconds(60))
        return true
    }

    /// Checks the additional disks of a request before anything is made: valid, distinct ids; each with a
    /// catalog image that exists (raw or qcow2) or a size.
    static func checkDisks(_ request: BackendCreateRequest) throws(BackendError) {
        var seen: Set<String> = []
        for disk in request.spec.config.disks ?? [] {
            guard DiskSpec.isValidId(disk.id) else {
                throw BackendError.invalidRequest("disk id \"\(disk.id)\" must be 1-20 letters, digits, '-' or '_'")
            }
            guard seen.insert(disk.id).inserted else { throw BackendError.invalidRequest("disk id \(disk.id) is used twice") }
            if let image = disk.image {
                guard let source = request.diskImages[disk.id] else {
                    throw BackendError.invalidRequest("disk \(disk.id): image \(image) has no disk in the image catalog")
                }
                guard FileManager.default.isReadableFile(atPath: source.path) else {
                    throw BackendError.invalidRequest("disk \(disk.id): the disk of image \(image) is missing: \(source.path)")
                }
                guard ["raw", "qcow2"].contains(source.format) else {
                    throw BackendError.invalidRequest("disk \(disk.id): image format must be raw or qcow2, got \(source.format)")
                }
            } else {
                guard let size = disk.sizeBytes, size > 0 else {
                    throw BackendError.invalidRequest("disk \(disk.id) needs an image or a size greater than 0")
                }
            }
            if let size = disk.sizeBytes, size < 0 {
                throw BackendError.invalidRequest("disk \(disk.id): size must not be negative, got \(size)")
            }
        }
    }

    /// Makes each additional disk (`disk-<id>.qcow2`): a qcow2 overlay on its catalog image, grown to the disk's
    /// size when that is larger than the image, or an empty qcow2 disk of its size.
    func prepareDisks(_ record: QEMUInstanceRecord, _ files: QEMUInstanceFiles) async throws {
        guard !record.disks.isEmpty else { return }
        guard let qemuImg = Subprocess.which(configuration.qemuImgPath) else {
            throw BackendError.unavailable("\(configuration.qemuImgPath) is not installed (needed for disks)")
        }
        for disk in record.disks {
            if let source = record.diskImages?[disk.id] {
                var arguments = ["create", "-q", "-f", "qcow2", "-F", source.format, "-b", source.path, files.disk(disk.id)]
                if let size = disk.sizeBytes, size > (try await Self.virtualSize(qemuImg, source)) { arguments.append("\(size)") }
                _ = try await Subprocess.run(qemuImg, arguments, timeout: .seconds(60))
            } else if let size = disk.sizeBytes {
                _ = try await Subprocess.run(
                    qemuImg, ["create", "-q", "-f", "qcow2", files.disk(disk.id), "\(size)"], timeout: .seconds(60))
            }
        }
    }

    /// The size a disk image shows a guest (`qemu-img info`'s `virtual-size`).
    static func virtualSize(_ qemuImg: String, _ image: DiskImage) async throws -> Int64 {
        let text = try await Subprocess.run(qemuImg, ["info", "--output=json", "-f", image.format, image.path], timeout: .seconds(30))
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
            let size = (object["virtual-size"] as? NSNumber)?.int64Value
        else { throw BackendError.failed("qemu-img info \(image.path) has no virtual-size: \(text.prefix(200))") }
        return size
    }

    /// Makes the NoCloud seed (`cidata.iso` with `user-data` and `meta-data`, and `network-config` when the VM has
    /// interfaces) when the config has cloud-init data or interfaces.
    func prepareCidata(_ record: QEMUInstanceRecord, _ files: QEMUInstanceFiles) async throws -> Bool {
        let networkConfig = CloudInitNetworkConfig.yaml(
            instanceId: record.id, interfaces: record.interfaces, networks: record.networks ?? [:])
        let cloudInit = record.spec.config.cloudInit ?? CloudInit()
        guard cloudInit.userData != nil || cloudInit.metaData != nil || networkConfig != nil else { return false }
        guard let genisoimage = Subprocess.which(configuration.genisoimagePath) else {
            throw BackendError.unavailable("\(configuration.genisoimagePath) is not installed (needed for cloud-init data)")
        }
        let fm = FileManager.default
        try fm.createDirectory(atPath: files.cidataSource, withIntermediateDirectories: true)
        let userData = cloudInit.userData ?? "#cloud-config\n"
        let metaData = cloudInit.metaData ?? "instance-id: \(record.id)\nlocal-hostname: \(record.name)\n"
        try Data(userData.utf8).write(to: URL(fileURLWithPath: files.cidataSource + "/user-data"))
        try Data(metaData.utf8).write(to: URL(fileURLWithPath: files.cidataSource + "/meta-data"))
        var sources = [files.cidataSource + "/user-data", files.cidataSource + "/meta-data"]
        if let networkConfig {
            try Data(networkConfig.utf8).write(to: URL(fileURLWithPath: files.cidataSource + "/network-config"))
            sources.append(files.cidataSource + "/network-config")
        }
        _ = try await Subprocess.run(
            genisoimage, ["-quiet", "-output", files.cidata, "-volid", "cidata", "-joliet", "-rock"] + sources, timeout: .seconds(60))
        return true
    }

    static func fileSize(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }

    /// The last `lines` lines of a text file (at most the last 4 MiB are read).
    static func tail(of path: String, lines: Int) -> String {
        guard lines > 0 else { return "" }
        var text = tail(of: path, bytes: 4 << 20).replacingOccurrences(of: "\r", with: "")
        if text.hasSuffix("\n") { text.removeLast() }
        let all = text.split(separator: "\n", omittingEmptySubsequences: false)
        return all.suffix(lines).joined(separator: "\n") + (all.isEmpty ? "" : "\n")
    }

    /// The text of a file from byte `offset` on, at most its last `bytes` bytes; empty when it cannot be read.
    static func tail(of path: String, bytes: Int, from offset: UInt64 = 0) -> String {
        guard bytes > 0, let handle = FileHandle(forReadingAtPath: path) else { return "" }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        guard size > offset else { return "" }
        try? handle.seek(toOffset: max(offset, size > UInt64(bytes) ? size - UInt64(bytes) : 0))
        let data = (try? handle.read(upToCount: bytes)) ?? nil
        return String(decoding: data ?? Data(), as: UTF8.self)
    }
}
