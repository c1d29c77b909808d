import FlotillaCore
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The host side of a VM's interfaces (docs/decisions/0025-vm-networks.md): made through ``HostLinks`` before
/// QEMU starts, removed when it ends (stop, crash, forced quit), on delete, when a start fails half-way, and,
/// when Flotilla starts again, for every VM not running then (``QEMUOrphanLinks``).
extension QEMUBackend {
    /// Checks the interfaces of a request: the host can make network devices, each interface's network is
    /// known, and the legacy bridge is not asked for too.
    func checkInterfaces(_ request: BackendCreateRequest) throws(BackendError) {
        let interfaces = request.spec.config.networks ?? []
        guard !interfaces.isEmpty else { return }
        guard configuration.links != nil else {
            throw BackendError.invalidRequest("networks are not available: this host's kvm backend cannot make network devices")
        }
        guard QEMUCommandLine.bridge(for: request.spec.config) == nil else {
            throw BackendError.invalidRequest("networkType bridge and networks cannot be combined; use networks")
        }
        for interface in interfaces {
            guard request.networks[interface.network] != nil else {
                throw BackendError.invalidRequest("network \(interface.network) is not defined")
            }
            if let mac = interface.mac, !NetworkInterface.isValidMAC(mac) {
                throw BackendError.invalidRequest("MAC address \(mac) must be six hex octets of a unicast address")
            }
        }
    }

    /// The network an interface attaches to: its own, or, with a bridge override, an unmanaged copy naming that
    /// bridge (Flotilla never creates or changes it).
    static func attachment(of interface: NetworkInterface, networks: [String: NetworkDefinition]) -> NetworkDefinition? {
        guard var network = networks[interface.network] else { return nil }
        if let bridge = interface.bridge {
            network.bridge = bridge
            network.managed = false
        }
        return network
    }

    /// Makes the host devices of a run: for each interface its bridge (``HostLinks/ensureBridge(_:)``), then a
    /// tap on it, or a macvtap whose character device is opened here. Returns the open descriptors (close-on-exec),
    /// in interface order, for QEMU to inherit as 3, 4, ... (``commandLine(_:_:accel:)`` numbers them the same
    /// way). On failure nothing is left behind: the descriptors are closed and the devices removed.
    func makeLinks(_ record: QEMUInstanceRecord) async throws(BackendError) -> [Int32] {
        guard !record.interfaces.isEmpty else { return [] }
        guard let links = configuration.links else {
            throw BackendError.invalidRequest("networks are not available: this host's kvm backend cannot make network devices")
        }
        var descriptors: [Int32] = []
        do {
            for (index, interface) in record.interfaces.enumerated() {
                guard let network = Self.attachment(of: interface, networks: record.networks ?? [:]) else {
                    throw BackendError.invalidRequest("network \(interface.network) of instance \(record.id) is not known")
                }
                let name = NetworkInterface.hostDeviceName(instanceId: record.id, index: index)
                // A device left by an earlier run (a crash Flotilla did not see end) is replaced.
                try await links.deleteLink(name: name)
                try await links.ensureBridge(network)
                switch interface.effectiveMode {
                case .tap:
                    try await links.createTap(name: name, bridge: network.bridge)
                case .macvtap:
                    let mac = QEMUCommandLine.guestMAC(of: interface, index: index, instanceId: record.id)
                    let path = try await links.createMacvtap(name: name, parent: network.bridge, mac: mac)
                    let fd = open(path, O_RDWR | O_CLOEXEC)
                    guard fd >= 0 else {
                        throw BackendError.failed("cannot open \(path) of macvtap \(name): \(String(cString: strerror(errno)))")
                    }
                    descriptors.append(fd)
                    // /dev is shared by every network namespace while a macvtap's node is named after its index,
                    // which is unique only in its own namespace: make sure the node is this device.
                    let opened = TapDevice.deviceName(of: fd)
                    guard opened == name else {
                        throw BackendError.failed(
                            "\(path) is not macvtap \(name) but \(opened ?? "another device") (a device of the same index in "
                                + "another network namespace)")
                    }
                }
                logger.debug(
                    "network device made",
                    metadata: [
                        "id": "\(record.id)", "device": "\(name)", "bridge": "\(network.bridge)", "mode": "\(interface.effectiveMode)",
                    ])
            }
        } catch {
            for fd in descriptors { close(fd) }
            await releaseLinks(record)
            if let error = error as? BackendError { throw error }
            throw BackendError.failed("cannot make the network devices of \(record.id): \(error)")
        }
        return descriptors
    }

    /// Removes the host devices of an instance's interfaces; one already gone is not an error.
    func releaseLinks(_ record: QEMUInstanceRecord) async {
        guard let links = configuration.links, !record.interfaces.isEmpty else { return }
        for index in record.interfaces.indices {
            let name = NetworkInterface.hostDeviceName(instanceId: record.id, index: index)
            do {
                try await links.deleteLink(name: name)
            } catch {
                logger.warning(
                    "could not remove a network device", metadata: ["id": "\(record.id)", "device": "\(name)", "error": "\(error)"])
            }
        }
    }

    /// Called by the watcher of run `process` once it ended on its own (a crash, a guest poweroff, a kill from
    /// outside): removes the instance's devices unless another run has started since.
    func runEnded(_ id: String, _ process: QEMUProcess) async {
        guard !process.isRunning, !starting.contains(id), let vm = vms[id], vm.process == nil || vm.process === process else {
            return
        }
        await releaseLinks(vm.record)
    }

    /// The instances whose devices must stay: those running, and those whose start is making them now.
    var instancesUsingLinks: [String] {
        vms.filter { $0.value.process?.isRunning == true }.map(\.key) + Array(starting)
    }

    /// Removes every device Flotilla made for an instance that is not running now (after a restart of Flotilla:
    /// a VM found not running, or one deleted while Flotilla was down). Each removal is logged once (info).
    func removeOrphanLinks() async {
        guard let links = configuration.links else { return }
        let names: [String]
        do {
            names = try await links.linkNames()
        } catch {
            logger.warning("cannot list network devices; orphaned ones are not removed", metadata: ["error": "\(error)"])
            return
        }
        for name in QEMUOrphanLinks.orphans(linkNames: names, runningIds: instancesUsingLinks) {
            // A start may have begun while the last device was removed: check again.
            guard !QEMUOrphanLinks.orphans(linkNames: [name], runningIds: instancesUsingLinks).isEmpty else { continue }
            do {
                try await links.deleteLink(name: name)
                logger.info("removed an orphaned network device", metadata: ["device": "\(name)"])
            } catch {
                logger.warning("could not remove an orphaned network device", metadata: ["device": "\(name)", "error": "\(error)"])
            }
        }
    }

    /// The program that runs QEMU: QEMU itself, or `ip netns exec NAME qemu ...` with a VM network namespace. `ip`
    /// rather than a `setns` of our own: a child spawned from a Swift process can only exec, and `ip netns exec` joins
    /// the namespace (and remounts `/sys` for it), then execs QEMU in place, so the pid is QEMU's, the one its pid
    /// file holds and adoption matches. A namespace that does not exist is refused here with its name; any other
    /// failure of `ip` ends the start with its message from `qemu.log`.
    func launchCommand(qemu: String, arguments: [String]) throws(BackendError) -> (String, [String]) {
        guard let namespace = configuration.networkNamespace else { return (qemu, arguments) }
        guard let ip = Subprocess.which(configuration.ipPath) else {
            throw BackendError.unavailable(
                "\(configuration.ipPath) is not installed (needed to run QEMU in network namespace \(namespace))")
        }
        guard FileManager.default.fileExists(atPath: "/var/run/netns/" + namespace) else {
            throw BackendError.unavailable("network namespace \(namespace) does not exist (ip netns add \(namespace))")
        }
        return (ip, ["netns", "exec", namespace, qemu] + arguments)
    }
}
