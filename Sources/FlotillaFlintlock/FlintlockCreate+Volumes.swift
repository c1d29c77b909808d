import FlotillaCore

extension FlintlockCreate {
    /// The most additional volumes a MicroVM may have (the kvm backend's disk limit, docs/decisions/0026-vm-disks.md).
    public static let maxVolumes = InstanceValidation.maxDisks

    /// `additional_volumes` as `config.disks`, in order: `id` (unique, also against the root volume's), a catalog
    /// disk image from `source.container_source` (copied on write) and/or an empty or grown size from
    /// `size_in_mb`, `is_read_only`. `mount_point` and `partition_id` stay in the stored spec only: Flotilla
    /// attaches the disk, the guest mounts it. A VirtioFS source is refused. Nil when there are none.
    static func disks(of spec: MicroVMSpec, _ lookup: (String) -> Image?) throws(FlotillaError) -> [DiskSpec]? {
        let volumes = spec.additionalVolumes
        guard !volumes.isEmpty else { return nil }
        guard volumes.count <= maxVolumes else {
            throw .validation(
                "microvm.additional_volumes holds \(volumes.count) volumes: at most \(maxVolumes)", field: "microvm.additional_volumes")
        }
        var ids: Set<String> = spec.hasRootVolume && !spec.rootVolume.id.isEmpty ? [spec.rootVolume.id] : []
        var disks: [DiskSpec] = []
        for (i, volume) in volumes.enumerated() {
            let field = "microvm.additional_volumes[\(i)]"
            guard DiskSpec.isValidId(volume.id) else {
                throw .validation("\(field).id \"\(shown(volume.id))\" must be 1-20 letters, digits, '-' or '_'", field: "\(field).id")
            }
            guard ids.insert(volume.id).inserted else {
                throw .validation("\(field).id \(volume.id) names another volume of this microvm too", field: "\(field).id")
            }
            try refuseVirtiofs(volume.source, field: "\(field).source")
            var disk = DiskSpec(id: volume.id, readOnly: volume.isReadOnly)
            if volume.source.hasContainerSource, !volume.source.containerSource.isEmpty {
                let sourceField = "\(field).source.container_source"
                let image = try entry(volume.source.containerSource, field: sourceField, lookup)
                guard image.artifacts.diskImage != nil else { throw lacks(image, "disk", field: sourceField) }
                disk.image = image.id
            }
            if volume.hasSizeInMb {
                guard volume.sizeInMb > 0 else {
                    throw .validation("\(field).size_in_mb must be greater than 0", field: "\(field).size_in_mb")
                }
                disk.sizeBytes = Int64(volume.sizeInMb) << 20
            }
            guard disk.image != nil || disk.sizeBytes != nil else {
                throw .validation(
                    "\(field) needs source.container_source (a catalog disk image) or size_in_mb (an empty volume)", field: field)
            }
            disks.append(disk)
        }
        return disks
    }
}
