import FlotillaAPI
import Foundation

/// The `table` output of `flotilla vm`, `flotilla flavor` and `flotilla image` (surface C).
extension OutputFormatter {
    /// The VM list: UUID, NAME, STATE, FLAVOR, IMAGE, BACKEND, VCPUS, MEMORY, CREATED, and a footer line when the
    /// page does not hold every VM.
    public static func vmList(_ list: VMs.VMList) -> String {
        if list.items.isEmpty {
            return list.total > 0 ? "No VMs on page \(list.page) (\(list.total) in total).\n" : "No VMs.\n"
        }
        let rows = list.items.map { vm in
            [
                vm.uuid, vm.name, vm.state, vm.flavorId ?? "-", vm.imageId, vm.backend, String(vm.vcpus),
                megabytes(vm.memoryMB), timestamp(vm.createdAt),
            ]
        }
        var text = TableRenderer(
            headers: ["UUID", "NAME", "STATE", "FLAVOR", "IMAGE", "BACKEND", "VCPUS", "MEMORY", "CREATED"], rows: rows
        ).render()
        if list.total > list.items.count {
            let first = (list.page - 1) * list.pageSize + 1
            text +=
                "Showing \(first)-\(first + list.items.count - 1) of \(list.total) (page \(list.page) of \(list.pages), \(list.pageSize) per page).\n"
        }
        return text
    }

    /// One VM as aligned `key: value` lines; empty fields are left out.
    public static func vmDetail(_ vm: VMs.VM) -> String {
        vmDetail(vm, migration: nil)
    }

    /// One VM as `vmDetail(_:)` shows it, with its last migration (surface D's `migration`) when there is one.
    public static func vmDetail(_ vm: VMs.VM, migration: Global.Migration?) -> String {
        var pairs: [(String, String)] = [
            ("UUID", vm.uuid),
            ("Name", vm.name),
            ("State", vm.state + (vm.stateDescription.map { " (\($0))" } ?? "")),
            ("Status", vm.status),
            ("Backend", vm.backend),
            ("Worker", vm.workerId ?? "-"),
            ("Flavor", vm.flavorId ?? "-"),
            ("Image", vm.imageId),
            ("VCPUs", String(vm.vcpus)),
            ("Memory", megabytes(vm.memoryMB)),
            ("Disk", "\(vm.diskGB) GB"),
        ]
        if let ip = vm.ipAddress { pairs.append(("IP address", ip)) }
        if let ip = vm.floatingIp { pairs.append(("Floating IP", ip)) }
        if let key = vm.keyName { pairs.append(("Key name", key)) }
        if let description = vm.description, !description.isEmpty { pairs.append(("Description", description)) }
        pairs.append(("Created", timestamp(vm.createdAt)))
        pairs.append(("Updated", timestamp(vm.updatedAt)))
        if let launched = vm.launchedAt { pairs.append(("Launched", timestamp(launched))) }
        if let terminated = vm.terminatedAt { pairs.append(("Terminated", timestamp(terminated))) }
        if let m = migration { pairs.append(("Last migration", migrationSummary(m) + ", " + timestamp(m.at))) }
        return TableRenderer.keyValueLines(pairs)
    }

    /// The outcome of a VM action: `UUID: stop done, ACTIVE -> SHUTOFF`, or for a 202
    /// `UUID: stop accepted, now SHUTOFF (in progress)`.
    public static func vmActionResult(_ result: VMs.ActionResult, accepted: Bool) -> String {
        let action = result.action.replacingOccurrences(of: "_", with: " ")
        if accepted || result.status == "in_progress" {
            return "\(result.vmUUID): \(action) accepted, now \(result.currentState) (in progress)\n"
        }
        return "\(result.vmUUID): \(action) done, \(result.previousState) -> \(result.currentState)\n"
    }

    /// The flavor list: ID, NAME, VCPUS, MEMORY, DISK, EPHEMERAL, SWAP, PUBLIC.
    public static func flavorList(_ list: VMs.FlavorList) -> String {
        if list.items.isEmpty { return "No flavors.\n" }
        return TableRenderer(
            headers: ["ID", "NAME", "VCPUS", "MEMORY", "DISK", "EPHEMERAL", "SWAP", "PUBLIC"],
            rows: list.items.map { flavor in
                [
                    flavor.id, flavor.name, String(flavor.vcpus), megabytes(flavor.memoryMB), "\(flavor.diskGB) GB",
                    "\(flavor.ephemeralGB) GB", megabytes(flavor.swapMB), flavor.isPublic ? "yes" : "no",
                ]
            }
        ).render()
    }

    /// One flavor as aligned `key: value` lines.
    public static func flavorDetail(_ flavor: VMs.Flavor) -> String {
        var pairs: [(String, String)] = [
            ("ID", flavor.id),
            ("Name", flavor.name),
            ("VCPUs", String(flavor.vcpus)),
            ("Memory", megabytes(flavor.memoryMB)),
            ("Disk", "\(flavor.diskGB) GB"),
            ("Ephemeral", "\(flavor.ephemeralGB) GB"),
            ("Swap", megabytes(flavor.swapMB)),
            ("Public", flavor.isPublic ? "yes" : "no"),
        ]
        if let description = flavor.description, !description.isEmpty { pairs.append(("Description", description)) }
        return TableRenderer.keyValueLines(pairs)
    }

    /// The image list: ID, NAME, OS, ARCH, STATUS, HOLDS (kernel, initrd, disk, docker), BACKENDS, MIN DISK,
    /// MIN MEMORY.
    public static func imageList(_ list: VMs.ImageList) -> String {
        if list.items.isEmpty { return "No images.\n" }
        return TableRenderer(
            headers: ["ID", "NAME", "OS", "ARCH", "STATUS", "HOLDS", "BACKENDS", "MIN DISK", "MIN MEMORY"],
            rows: list.items.map { image in
                let holds = imageKinds(image.artifacts)
                return [
                    image.id, image.name, operatingSystem(image), image.architecture, image.status,
                    holds.isEmpty ? "-" : holds.joined(separator: ","),
                    image.backends.isEmpty ? "-" : image.backends.joined(separator: ","), "\(image.minDiskGB) GB",
                    megabytes(image.minMemoryMB),
                ]
            }
        ).render()
    }

    /// What an image holds, as the catalog names it: `kernel`, `initrd`, `disk`, `docker`.
    public static func imageKinds(_ a: VMs.ImageArtifacts) -> [String] {
        [("kernel", a.kernelPath), ("initrd", a.initrdPath), ("disk", a.rootDiskPath), ("docker", a.dockerReference)]
            .compactMap { $0.1 == nil ? nil : $0.0 }
    }

    /// One image as aligned `key: value` lines, with the artifacts each backend uses.
    public static func imageDetail(_ image: VMs.Image) -> String {
        var pairs: [(String, String)] = [
            ("ID", image.id),
            ("Name", image.name),
            ("Status", image.status),
            ("OS", operatingSystem(image)),
            ("Architecture", image.architecture),
            ("Size", ByteSize.format(image.sizeBytes)),
            ("Min disk", "\(image.minDiskGB) GB"),
            ("Min memory", megabytes(image.minMemoryMB)),
            ("Backends", image.backends.isEmpty ? "-" : image.backends.joined(separator: ", ")),
            ("Holds", imageKinds(image.artifacts).isEmpty ? "-" : imageKinds(image.artifacts).joined(separator: ", ")),
        ]
        let artifacts = image.artifacts
        if let reference = artifacts.dockerReference { pairs.append(("Docker reference", reference)) }
        if let kernel = artifacts.kernelPath { pairs.append(("Kernel", kernel)) }
        if let initrd = artifacts.initrdPath { pairs.append(("Initrd", initrd)) }
        if let disk = artifacts.rootDiskPath {
            pairs.append(("Root disk", disk + (artifacts.rootDiskFormat.map { " (\($0))" } ?? "")))
        }
        if let description = image.description, !description.isEmpty { pairs.append(("Description", description)) }
        pairs.append(("Created", timestamp(image.createdAt)))
        return TableRenderer.keyValueLines(pairs)
    }

    /// A size the API gives in MB (MiB): `512MiB`, `2GiB`.
    static func megabytes(_ value: Int64) -> String {
        let (bytes, overflow) = value.multipliedReportingOverflow(by: 1 << 20)
        return overflow ? "\(value)MiB" : ByteSize.format(bytes)
    }

    /// `debian 12`, or `-` when neither is known.
    static func operatingSystem(_ image: VMs.Image) -> String {
        let text = [image.osDistro, image.osVersion].filter { !$0.isEmpty }.joined(separator: " ")
        return text.isEmpty ? "-" : text
    }
}
