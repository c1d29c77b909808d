/// The rules every flavor and image of the catalog follows, whichever surface wrote it: ids and names by
/// ``NameRule``, the other text fields by ``TextLimit`` (docs/decisions/0015-names-and-text-limits.md).
/// Surface C reports the same rules field by field before this runs.
public enum CatalogValidation {
    public static func validate(_ flavor: Flavor) throws(FlotillaError) {
        try NameRule.check(flavor.id, kind: .flavor, field: "id")
        try NameRule.check(flavor.name, kind: .flavor, field: "name")
        try TextLimit.check(flavor.description, field: "description", maxBytes: TextLimit.descriptionBytes, multiline: true)
    }

    public static func validate(_ image: Image) throws(FlotillaError) {
        try NameRule.check(image.id, kind: .image, field: "id")
        try NameRule.check(image.name, kind: .image, field: "name")
        try TextLimit.check(image.description, field: "description", maxBytes: TextLimit.descriptionBytes, multiline: true)
        let lines: [(String, String?, Int)] = [
            ("status", image.status, TextLimit.settingBytes), ("os_distro", image.osDistro, TextLimit.settingBytes),
            ("os_version", image.osVersion, TextLimit.settingBytes), ("architecture", image.architecture, 64),
            ("docker_reference", image.artifacts.dockerReference, 1024),
            ("kernel_path", image.artifacts.kernelPath, TextLimit.imageBytes),
            ("initrd_path", image.artifacts.initrdPath, TextLimit.imageBytes),
            ("root_disk_path", image.artifacts.rootDiskPath, TextLimit.imageBytes),
            ("root_disk_format", image.artifacts.rootDiskFormat, TextLimit.settingBytes),
        ]
        for case (let field, let value?, let maxBytes) in lines {
            try TextLimit.check(value, field: field, maxBytes: maxBytes)
        }
    }
}
