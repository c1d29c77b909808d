extension InstanceValidation {
    /// The most interfaces one instance may have (docs/decisions/0025-vm-networks.md).
    public static let maxInterfaces = 8
    /// The most additional disks one instance may have (docs/decisions/0026-vm-disks.md).
    public static let maxDisks = 16
    /// The largest disk: 16 TiB.
    public static let maxDiskBytes: Int64 = 16 << 40
    /// `config.kernelArguments`: half of the kernel's 2,048-byte command line on x86, leaving room for Flotilla's own.
    public static let kernelArgumentsBytes = 1024

    /// Interfaces, additional disks, kernel arguments and the separate initrd and root images (pure): the shape of
    /// each field, whatever the catalog and the cluster's networks hold (the create path checks those). Disks,
    /// kernel arguments, macvtap interfaces and bridge overrides are for VMs: the docker backend refuses them, the
    /// sim accepts them and ignores what it cannot use.
    public static func validateNetworksAndDisks(_ config: InstanceConfig, backend: BackendKind) throws(FlotillaError) {
        for (field, value) in [("config.initrdImage", config.initrdImage), ("config.rootImage", config.rootImage)] {
            guard let value else { continue }
            try checkImageReference(value, field: field)
            if backend == .docker { throw dockerRefuses(field) }
        }
        if let arguments = config.kernelArguments {
            try TextLimit.check(arguments, field: "config.kernelArguments", maxBytes: kernelArgumentsBytes)
            if backend == .docker { throw dockerRefuses("config.kernelArguments") }
        }
        try validateInterfaces(config.networks ?? [], backend: backend)
        if backend == .docker, config.networks?.isEmpty == false, let mode = config.networkMode, !mode.isEmpty {
            throw .validation(
                "config.networkMode \"\(shown(mode))\" and config.networks are exclusive: a container on Flotilla networks "
                    + "joins them and no other network", field: "config.networkMode")
        }
        try validateDisks(config.disks ?? [], backend: backend)
    }

    /// `config.networks`: at most ``maxInterfaces``, each naming a valid network name, a valid MAC when given, a
    /// bridge override that is an interface name; macvtap and bridge overrides not on docker.
    static func validateInterfaces(_ interfaces: [NetworkInterface], backend: BackendKind) throws(FlotillaError) {
        try TextLimit.checkCount(interfaces.count, field: "config.networks", max: maxInterfaces)
        for (i, interface) in interfaces.enumerated() {
            let field = "config.networks[\(i)]"
            guard NetworkDefinition.isValidName(interface.network) else {
                throw .validation(
                    "\(field).network \"\(shown(interface.network))\" is not a network name (1-\(NetworkDefinition.maxNameBytes) "
                        + "lowercase letters, digits or '-', starting with a letter)", field: "\(field).network")
            }
            if let mac = interface.mac, !NetworkInterface.isValidMAC(mac) {
                throw .validation(
                    "\(field).mac \"\(shown(mac))\" must be six ':'-separated hex octets of a unicast address",
                    field: "\(field).mac")
            }
            if let bridge = interface.bridge {
                guard isInterfaceName(bridge) else {
                    throw .validation(
                        "\(field).bridge \"\(shown(bridge))\" is not a valid interface name (1-15 characters, no '/', ':' or spaces)",
                        field: "\(field).bridge")
                }
                if backend == .docker { throw dockerRefuses("\(field).bridge") }
            }
            if interface.effectiveMode == .macvtap, backend == .docker { throw dockerRefuses("\(field).mode") }
        }
    }

    /// `config.disks`: refused on docker; at most ``maxDisks`` with unique valid ids, each an image (with an
    /// optional size to grow it to) or an empty disk of a size, at most ``maxDiskBytes``.
    static func validateDisks(_ disks: [DiskSpec], backend: BackendKind) throws(FlotillaError) {
        guard !disks.isEmpty else { return }
        if backend == .docker {
            throw .validation(
                "config.disks: the docker backend takes no disks; mount volumes with config.volumes", field: "config.disks")
        }
        try TextLimit.checkCount(disks.count, field: "config.disks", max: maxDisks)
        var ids: Set<String> = []
        for (i, disk) in disks.enumerated() {
            let field = "config.disks[\(i)]"
            guard DiskSpec.isValidId(disk.id) else {
                throw .validation(
                    "\(field).id \"\(shown(disk.id))\" must be 1-20 letters, digits, '-' or '_'", field: "\(field).id")
            }
            guard ids.insert(disk.id).inserted else {
                throw .validation("\(field).id \(disk.id) names another disk of this instance too", field: "\(field).id")
            }
            if let image = disk.image { try checkImageReference(image, field: "\(field).image") }
            switch (disk.image, disk.sizeBytes) {
            case (nil, nil):
                throw .validation("\(field) needs an image or a sizeBytes (an empty disk)", field: field)
            case (nil, let size?) where size <= 0:
                throw .validation("\(field).sizeBytes of an empty disk must be greater than 0", field: "\(field).sizeBytes")
            case (_, let size?) where size < 0 || size > maxDiskBytes:
                throw .validation("\(field).sizeBytes must be between 0 and 16 TiB (in bytes)", field: "\(field).sizeBytes")
            default: break
            }
        }
    }

    /// A catalog image reference beside `config.image`: non-empty, single-line, at most ``TextLimit/imageBytes``.
    static func checkImageReference(_ value: String, field: String) throws(FlotillaError) {
        guard !value.isEmpty else { throw .validation("\(field) must not be empty", field: field) }
        try TextLimit.check(value, field: field, maxBytes: TextLimit.imageBytes)
    }

    static func dockerRefuses(_ field: String) -> FlotillaError {
        .validation("\(field) is for VMs: the docker backend does not take it", field: field)
    }
}
