import FlotillaCore

/// Which host network devices the kvm backend removes when it starts (pure; docs/decisions/0025-vm-networks.md):
/// every device Flotilla made for an interface (``NetworkInterface/owner(ofHostDevice:)``) whose instance is not
/// one of the VMs running now (adopted). A VM found not running, or one deleted while Flotilla was down, leaves
/// its taps behind after a crash or a `kill -9` of Flotilla; bridges (`fl-<network>`) are never orphans.
public enum QEMUOrphanLinks {
    /// The names among `linkNames` to delete, in the order given.
    public static func orphans(linkNames: [String], runningIds: [String]) -> [String] {
        let running = Set(runningIds.map(idPrefix))
        return linkNames.filter { name in
            guard let owner = NetworkInterface.owner(ofHostDevice: name) else { return false }
            return !running.contains(owner.idPrefix)
        }
    }

    /// The id prefix an instance's host devices carry.
    static func idPrefix(_ id: String) -> String {
        let name = NetworkInterface.hostDeviceName(instanceId: id, index: 0)
        return String(name.dropFirst(NetworkInterface.hostDevicePrefix.count).dropLast())
    }
}
