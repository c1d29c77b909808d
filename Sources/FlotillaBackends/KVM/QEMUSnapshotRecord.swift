import FlotillaCore
import Foundation

/// What a kvm snapshot folder holds (`snapshot.json`): the record of the instance it was taken from (its spec,
/// kernel, initrd, root disk and disk images, which the copied qcow2 files use as backing files) and, with
/// memory, the tag of the internal snapshot that holds the guest's state.
struct QEMUSnapshotRecord: Codable, Sendable, Equatable {
    var snapshotId: String
    /// The instance's record at the time of the snapshot.
    var instance: QEMUInstanceRecord
    /// The internal qcow2 snapshot with the guest's memory and device state; nil: the disks only.
    var tag: String?
    var createdAt: Date

    var includesMemory: Bool { tag != nil }

    /// Why an instance with `spec` cannot be made from this snapshot, or nil when it can. The disks must be
    /// the same (ids, order, read-only flags: the copies are the instance's disks). With memory, so must
    /// everything the saved device state depends on: memory, vCPUs, machine type and the number of
    /// interfaces. A snapshot of the disks alone may be given other memory, vCPUs or interfaces.
    func mismatch(with spec: InstanceSpec) -> String? {
        let mine = instance.spec
        let disks = { (s: InstanceSpec) in (s.config.disks ?? []).map { $0.id + ($0.readOnly ? " (read-only)" : "") } }
        if disks(spec) != disks(mine) {
            return "disks [\(disks(spec).joined(separator: ", "))], the snapshot's [\(disks(mine).joined(separator: ", "))]"
        }
        guard includesMemory else { return nil }
        if spec.resources.memoryBytes != mine.resources.memoryBytes {
            return "memory \(spec.resources.memoryBytes) bytes, the snapshot's \(mine.resources.memoryBytes) bytes"
        }
        let cpus = QEMUCommandLine.cpus(for: spec.resources)
        let snapshotCPUs = QEMUCommandLine.cpus(for: mine.resources)
        if cpus != snapshotCPUs { return "\(cpus) vCPUs, the snapshot's \(snapshotCPUs)" }
        let machine = QEMUCommandLine.machine(for: spec, hasKernel: instance.kernelPath != nil)
        let snapshotMachine = QEMUCommandLine.machine(for: mine, hasKernel: instance.kernelPath != nil)
        if machine != snapshotMachine { return "machine \(machine.rawValue), the snapshot's \(snapshotMachine.rawValue)" }
        let interfaces = spec.config.networks?.count ?? 0
        let snapshotInterfaces = mine.config.networks?.count ?? 0
        if interfaces != snapshotInterfaces { return "\(interfaces) interfaces, the snapshot's \(snapshotInterfaces)" }
        let bridged = QEMUCommandLine.bridge(for: spec.config) != nil
        if bridged != (QEMUCommandLine.bridge(for: mine.config) != nil) {
            return "a bridge interface: \(bridged ? "yes" : "no"), the snapshot's: \(bridged ? "no" : "yes")"
        }
        // The NoCloud volume is a device too.
        let cloudInit = spec.config.cloudInit
        let seeded = cloudInit?.userData != nil || cloudInit?.metaData != nil || interfaces > 0
        if seeded != instance.hasCidata {
            return "cloud-init data: \(seeded ? "yes" : "no"), the snapshot's: \(seeded ? "no" : "yes")"
        }
        return nil
    }
}
