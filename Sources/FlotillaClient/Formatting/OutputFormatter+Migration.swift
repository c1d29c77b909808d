import FlotillaAPI
import Foundation

/// How `flotilla` shows a migration (docs/decisions/0027-live-migration.md): surface D's `migration` of a VM and the
/// `moves` of a drain.
extension OutputFormatter {
    /// One line: `moved live from h1 to h2 (downtime 12 ms, total 1.8 s, 130MiB memory)`,
    /// `moved cold from h1 to h2: docker containers move cold: …`, `live move from h1 to h2 failed: …`, or
    /// `live move from h1 to h2 under way`.
    public static func migrationSummary(_ m: Global.Migration) -> String {
        let route = "from \(m.from) to \(m.to)"
        let reason = m.reason.map { ": \($0)" } ?? ""
        switch m.outcome {
        case "moved":
            return "moved \(m.mode) \(route)" + (m.figures.map { " (\(migrationFigures($0)))" } ?? "") + reason
        case "failed":
            return "\(m.mode) move \(route) failed" + reason
        case "migrating":
            return "\(m.mode) move \(route) under way" + reason
        default:
            return "\(m.mode) move \(route), \(m.outcome)" + reason
        }
    }

    /// `downtime 12 ms, total 1.8 s, disks 300 ms, 130MiB memory, 1GiB disk`: the parts that were measured.
    public static func migrationFigures(_ f: Global.Migration.Figures) -> String {
        var parts = ["downtime \(milliseconds(f.downtimeMs))", "total \(milliseconds(f.totalMs))"]
        if f.diskMs > 0 { parts.append("disks \(milliseconds(f.diskMs))") }
        if f.memoryBytes > 0 { parts.append("\(ByteSize.format(f.memoryBytes)) memory") }
        if f.diskBytes > 0 { parts.append("\(ByteSize.format(f.diskBytes)) disk") }
        return parts.joined(separator: ", ")
    }

    /// `850 ms` below a second, `1.8 s` from there on.
    static func milliseconds(_ ms: Int64) -> String {
        ms < 1000 ? "\(ms) ms" : String(format: "%.1f s", Double(ms) / 1000)
    }

    /// What `flotilla fleet migrate` prints: where the instance now is, then how it moved when the answer says
    /// (`migration` is the move this command made, nil when the answer holds none or only an older one).
    public static func fleetMigrateResult(_ vm: Global.VM, migration: Global.Migration?) -> String {
        var text = fleetActionResult("migrate", vm, accepted: false)
        if let migration { text += "\(vm.name): \(migrationSummary(migration))\n" }
        return text
    }

    /// The `Moves` table of a drain with `--migrate`: ID, MODE, OUTCOME, TO, REASON; empty without moves.
    public static func drainMoves(_ moves: [Workers.Move]?) -> String {
        guard let moves, !moves.isEmpty else { return "" }
        let rows = moves.map { [$0.id, $0.mode, $0.outcome, $0.to ?? "-", $0.reason ?? "-"] }
        return "Moves:\n" + TableRenderer(headers: ["ID", "MODE", "OUTCOME", "TO", "REASON"], rows: rows).render()
    }
}
