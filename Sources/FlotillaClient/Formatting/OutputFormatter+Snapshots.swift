import FlotillaAPI
import Foundation

/// Tables for `flotilla snapshot ...`.
extension OutputFormatter {
    public static func snapshotList(_ list: Global.SnapshotList) -> String {
        if list.items.isEmpty { return "No snapshots. Take one with flotilla snapshot create VM.\n" }
        let rows = list.items.map { s in
            [
                s.id, s.name, s.vmName, s.backend, s.hostId, s.includesMemory ? "yes" : "no", ByteSize.format(s.sizeBytes),
                timestamp(s.createdAt),
            ]
        }
        return TableRenderer(headers: ["ID", "NAME", "VM", "BACKEND", "HOST", "MEMORY", "SIZE", "CREATED"], rows: rows).render()
    }

    public static func snapshotDetail(_ s: Global.Snapshot) -> String {
        let pairs: [(String, String)] = [
            ("ID", s.id), ("Name", s.name), ("VM", "\(s.vmName) (\(s.vmId))"), ("Kind", s.kind), ("Backend", s.backend),
            ("Host", s.hostId), ("Memory", s.includesMemory ? "yes (a VM made from it resumes where it was)" : "no (files only)"),
            ("Size", ByteSize.format(s.sizeBytes)), ("Image", s.image),
            ("Resources", "\(number(s.resources.cpuCores)) cores, \(s.resources.memoryMB) MB memory, \(s.resources.storageGB) GB storage"),
            ("Created", timestamp(s.createdAt)),
        ]
        return TableRenderer.keyValueLines(pairs)
    }
}
