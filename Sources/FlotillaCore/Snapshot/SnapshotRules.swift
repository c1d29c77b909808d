import Foundation

/// The pure decisions about snapshots (docs/decisions/0028-snapshots.md): what a snapshot is called, and the spec
/// of a new instance made from one (where it may run and which addresses it keeps).
public enum SnapshotRules {
    /// The snapshot's name: the one asked for (the same rule as instance names), else `<instance name>-<id>`,
    /// cut to the name's byte cap.
    public static func name(requested: String?, instanceName: String, snapshotId: String) throws(FlotillaError) -> String {
        if let requested { return try NameRule.check(requested, kind: .instance, field: "name") }
        let suffix = "-" + snapshotId.lowercased()
        var base = instanceName
        while base.utf8.count + suffix.utf8.count > NameRule.Kind.instance.maxBytes { base.removeLast() }
        return base.trimmingCharacters(in: .whitespaces) + suffix
    }

    /// The spec of a new instance made from `snapshot`: the snapshot's spec, pinned to `target` when one is asked
    /// for (that host fetches the snapshot's files from the holder over the internal API), else to the host that
    /// keeps them (no copy). A snapshot with memory keeps the guest's addresses and MACs (the guest resumes holding
    /// them, so the create is refused while another instance holds one); a snapshot of files only gets new ones,
    /// as a new instance would.
    public static func restoredSpec(_ snapshot: Snapshot, target: String? = nil) -> InstanceSpec {
        var spec = snapshot.spec
        spec.placement.workerId = target ?? snapshot.hostId
        if !snapshot.artifact.includesMemory, let interfaces = spec.config.networks {
            spec.config.networks = interfaces.map { interface in
                var fresh = interface
                fresh.address = nil
                fresh.mac = nil
                return fresh
            }
        }
        return spec
    }

    /// Why a new instance from `snapshot` cannot run on `target`: a docker snapshot is an image in its holder's
    /// daemon, made into containers there only. nil when it can (kvm and sim snapshots are copied to the target).
    public static func targetProblem(_ snapshot: Snapshot, target: String?) -> String? {
        guard let target, target != snapshot.hostId, snapshot.backend == .docker else { return nil }
        return "snapshot \(snapshot.id) is a docker image on host \(snapshot.hostId): \(dockerStaysHome)"
    }

    /// Why a docker snapshot is not copied to another host.
    public static let dockerStaysHome =
        "docker snapshots stay in the docker daemon of the host that took them; restore it there (push the image to a registry to share it)"

    /// Why an instance asked to be made from a snapshot cannot be: the snapshot is unknown or of another
    /// backend than the instance. nil when it can.
    public static func restoreProblem(_ instance: Instance, snapshot: Snapshot?) -> String? {
        guard let id = instance.restoredFrom else { return nil }
        guard let snapshot else { return "snapshot \(id) no longer exists" }
        guard snapshot.backend == instance.backend else {
            return "snapshot \(id) was taken on the \(snapshot.backend.rawValue) backend, not \(instance.backend.rawValue)"
        }
        return nil
    }
}
