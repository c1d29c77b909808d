import FlotillaCore

extension FlintlockMapping {
    /// The status of a MicroVM beside its state (docs/api/surface-e-flintlock.md): `kernel_mount` and
    /// `initrd_mount` are the host paths of the catalog's kernel and initrd (HOSTPATH); `volumes` holds the root
    /// volume (the catalog disk) and each additional volume (its catalog disk, or `empty:<bytes>` for an empty
    /// one), by volume id, as HOSTPATH mounts of what the instance's copy-on-write disk starts from;
    /// `network_interfaces` holds each interface by device id: its host device (a tap or macvtap named by
    /// ``NetworkInterface/hostDeviceName(instanceId:index:)``), its index and its MAC.
    static func status(of instance: Instance, spec: MicroVMSpec, images: [String: Image]) -> MicroVMStatus {
        let config = instance.spec.config
        var status = MicroVMStatus()
        let artifacts = (try? ImageArtifacts.resolve(config, images: images)) ?? images[config.image]?.artifacts
        if let kernel = artifacts?.kernelPath { status.kernelMount = hostPath(kernel) }
        if let initrd = artifacts?.initrdPath { status.initrdMount = hostPath(initrd) }
        if spec.hasRootVolume, !spec.rootVolume.id.isEmpty, let disk = artifacts?.rootDiskPath {
            status.volumes[spec.rootVolume.id] = volume(disk)
        }
        for disk in config.disks ?? [] {
            if let image = disk.image {
                guard let path = images[image]?.artifacts.diskImage?.path else { continue }
                status.volumes[disk.id] = volume(path)
            } else if let size = disk.sizeBytes {
                status.volumes[disk.id] = volume("empty:\(size)")
            }
        }
        for (index, interface) in (config.networks ?? []).enumerated() {
            let deviceID = index < spec.interfaces.count ? spec.interfaces[index].deviceID : "eth\(index)"
            var shown = Flintlock_Types_NetworkInterfaceStatus()
            shown.hostDeviceName = NetworkInterface.hostDeviceName(instanceId: instance.id, index: index)
            shown.index = Int32(index)
            shown.macAddress = interface.mac ?? ""
            status.networkInterfaces[deviceID] = shown
        }
        return status
    }

    /// Writes the allocated address (with the network's prefix length) and MAC into each interface of `spec`
    /// that did not name its own, so the client sees what it asked for plus what Flotilla chose.
    static func fillAllocations(_ spec: inout MicroVMSpec, _ interfaces: [NetworkInterface], networks: [String: NetworkDefinition]) {
        for (index, interface) in interfaces.enumerated() where index < spec.interfaces.count {
            if let address = interface.address, spec.interfaces[index].address.address.isEmpty {
                let prefix = networks[interface.network]?.cidr.prefixLength
                spec.interfaces[index].address.address = prefix.map { "\(address)/\($0)" } ?? address.description
            }
            if let mac = interface.mac, spec.interfaces[index].guestMac.isEmpty { spec.interfaces[index].guestMac = mac }
        }
    }

    static func hostPath(_ path: String) -> Flintlock_Types_Mount {
        var mount = Flintlock_Types_Mount()
        mount.type = .hostpath
        mount.source = path
        return mount
    }

    static func volume(_ source: String) -> Flintlock_Types_VolumeStatus {
        var volume = Flintlock_Types_VolumeStatus()
        volume.mount = hostPath(source)
        return volume
    }
}
