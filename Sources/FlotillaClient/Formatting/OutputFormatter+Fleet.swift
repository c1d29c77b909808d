import FlotillaAPI
import Foundation

/// The `table` output of `flotilla fleet` (surface D, `/api/v2`) and of `-q` on list commands.
extension OutputFormatter {
    /// `-q`: one id per line; nothing at all for an empty list.
    public static func idLines(_ ids: [String]) -> String {
        ids.map { $0 + "\n" }.joined()
    }

    /// The fleet list: ID, NAME, BACKEND, KIND, STATE, DESIRED, HOST, ZONE, CREATED.
    public static func fleetList(_ list: Global.VMList) -> String {
        if list.items.isEmpty { return "No instances.\n" }
        let rows = list.items.map { vm in
            [
                vm.id, vm.name, vm.backend, vm.kind, vm.observed.state, vm.desired, vm.host?.id ?? "-", vm.host?.zone ?? "-",
                timestamp(vm.createdAt),
            ]
        }
        var text = TableRenderer(
            headers: ["ID", "NAME", "BACKEND", "KIND", "STATE", "DESIRED", "HOST", "ZONE", "CREATED"], rows: rows
        ).render()
        if list.nextCursor != nil {
            text += "Showing the first \(list.items.count) (--limit); more instances match.\n"
        }
        return text
    }

    /// One registry record as aligned `key: value` lines.
    public static func fleetDetail(_ vm: Global.VM) -> String {
        let r = vm.spec.resources
        var pairs: [(String, String)] = [
            ("ID", vm.id), ("Name", vm.name), ("Kind", vm.kind), ("Backend", vm.backend),
            ("State", vm.observed.state + (vm.observed.description.map { " (\($0))" } ?? "")),
            ("Desired state", vm.desired),
            ("Host", vm.host.map { h in h.id + (h.zone.map { " (zone \($0))" } ?? "") } ?? "-"),
            ("Image", vm.spec.image),
            ("Resources", "\(number(r.cpuCores)) cores, \(r.memoryMB) MB memory, \(r.storageGB) GB storage"),
        ]
        if !vm.spec.labels.isEmpty { pairs.append(("Labels", keyValues(vm.spec.labels))) }
        if !vm.spec.metadata.isEmpty { pairs.append(("Metadata", keyValues(vm.spec.metadata))) }
        let p = vm.spec.placement
        var placement: [String] = []
        if let zone = p.zone { placement.append("zone=\(zone)") }
        if let worker = p.workerId { placement.append("worker=\(worker)") }
        if let strategy = p.strategy { placement.append("strategy=\(strategy)") }
        if let labels = p.labels, !labels.isEmpty { placement.append("workerLabels={\(keyValues(labels))}") }
        if !placement.isEmpty { pairs.append(("Placement", placement.joined(separator: " "))) }
        if let networks = vm.spec.networks, !networks.isEmpty {
            let lines = networks.map {
                interfaceLine(network: $0.network, address: $0.address, mac: $0.mac, mode: $0.mode, bridge: $0.bridge)
            }
            pairs.append(("Networks", lines.joined(separator: ", ")))
        }
        if let disks = vm.spec.disks, !disks.isEmpty {
            let lines = disks.map { diskLine(id: $0.id, image: $0.image, sizeBytes: $0.sizeBytes, readOnly: $0.readOnly) }
            pairs.append(("Disks", lines.joined(separator: ", ")))
        }
        if let kernel = vm.spec.kernelArguments { pairs.append(("Kernel args", kernel)) }
        if let initrd = vm.spec.initrdImage { pairs.append(("Initrd image", initrd)) }
        if let root = vm.spec.rootImage { pairs.append(("Root image", root)) }
        if let policy = vm.spec.restartPolicy { pairs.append(("Restart policy", policy)) }
        if let attempts = vm.observed.restartAttempts, attempts > 0 { pairs.append(("Restarts", String(attempts))) }
        if let m = vm.migration { pairs.append(("Last migration", migrationSummary(m) + ", " + timestamp(m.at))) }
        pairs.append(("Revisions", "created \(vm.revisions.created), modified \(vm.revisions.modified)"))
        pairs.append(("Created", timestamp(vm.createdAt)))
        pairs.append(("Updated", timestamp(vm.updatedAt)))
        if let launched = vm.observed.launchedAt { pairs.append(("Launched", timestamp(launched))) }
        if let terminated = vm.observed.terminatedAt { pairs.append(("Terminated", timestamp(terminated))) }
        return TableRenderer.keyValueLines(pairs)
    }

    /// The live status from the owner: state, host, who answered, and usage when it runs.
    public static func fleetStatus(_ status: Global.Status) -> String {
        var pairs: [(String, String)] = [
            ("ID", status.id), ("Name", status.name), ("State", status.state),
            ("Host", status.host.map { h in h.id + (h.zone.map { " (zone \($0))" } ?? "") } ?? "- (not placed yet)"),
            ("Served by", status.servedBy + (status.routed ? " (routed)" : "")),
        ]
        if let observed = status.observedAt { pairs.append(("Observed", timestamp(observed))) }
        if let u = status.usage {
            pairs.append(("CPU", String(format: "%.1f%%", u.cpu.usagePercent) + " of \(number(u.cpu.cores)) cores"))
            pairs.append(
                (
                    "Memory",
                    "\(ByteSize.format(u.memory.usedBytes)) of \(ByteSize.format(u.memory.limitBytes))"
                        + String(format: " (%.1f%%)", u.memory.percent)
                ))
            pairs.append(("Storage", "\(ByteSize.format(u.storage.usedBytes)) of \(ByteSize.format(u.storage.totalBytes))"))
            pairs.append(("Network", "rx \(ByteSize.format(u.network.rxBytes)), tx \(ByteSize.format(u.network.txBytes))"))
        }
        pairs.append(("Revision", String(status.revision)))
        return TableRenderer.keyValueLines(pairs)
    }

    /// The outcome of a fleet action: `web (ID): running on h2`, or `web (ID): stop accepted, now stopping`.
    public static func fleetActionResult(_ action: String, _ vm: Global.VM, accepted: Bool) -> String {
        let subject = "\(vm.name) (\(vm.id))"
        let host = vm.host.map { " on \($0.id)" } ?? ""
        if accepted { return "\(subject): \(action) accepted, now \(vm.observed.state)\(host)\n" }
        return "\(subject): \(vm.observed.state)\(host)\n"
    }
}
