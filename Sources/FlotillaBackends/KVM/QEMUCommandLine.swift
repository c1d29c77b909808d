import FlotillaCore
import Foundation

/// Turns what one VM needs into the `qemu-system-x86_64` argument list. Pure: no files are read, so the
/// mapping is table-tested.
///
/// Choices:
/// - `-M microvm` unless the spec's metadata asks for `kvm.machine=q35` or there is no kernel to boot
///   directly (a root disk booted by firmware needs a PC machine);
/// - the serial console goes to a file chardev opened in append mode (the log outlives restarts and crashes);
/// - QMP listens on a unix socket (`server=on,wait=off`), QEMU writes its pid with `-pidfile`; a second
///   QMP monitor on its own socket, when given, carries only events to the backend's follower (QEMU serves
///   one client per monitor, and the first one is for commands);
/// - `-no-reboot`: a guest reboot or panic (`panic=-1`) ends the QEMU process, which the backend reports;
/// - additional disks (docs/decisions/0026-vm-disks.md) follow the root disk and the cidata volume, in the spec's
///   order, each a virtio-blk device whose serial is the disk id: on microvm the virtio-mmio order the guest sees
///   is not the command line's, so a guest finds a disk by `/sys/block/vdX/serial`, not by its letter;
/// - interfaces on Flotilla networks (docs/decisions/0025-vm-networks.md) are virtio-net devices on a tap that
///   Flotilla made (QEMU opens it by name) or on a macvtap whose character device Flotilla opened and QEMU
///   inherits as a descriptor. The legacy bridge (``bridge``) is used only when there is no such interface.
///
/// The kernel command line is Flotilla's parts first (console, panic, the TCG clock settings, `root=` for a
/// root disk, the `ip=` of the first interface), then the user's (``kernelArguments``): the kernel and most
/// inits read the last of a repeated key, so a user's `ip=` or `console=` wins over Flotilla's. A user's
/// `root=` also drops Flotilla's.
public struct QEMUCommandLine: Sendable, Equatable {
    public enum Accel: String, Sendable, Codable, CaseIterable { case kvm, tcg }
    public enum Machine: String, Sendable, Codable, CaseIterable { case microvm, q35 }

    /// An additional disk: its qcow2 file, attached as drive `disk-<id>` with serial `<id>`.
    public struct Disk: Sendable, Equatable {
        public var id: String
        public var path: String
        public var readOnly: Bool

        public init(id: String, path: String, readOnly: Bool = false) {
            self.id = id
            self.path = path
            self.readOnly = readOnly
        }
    }

    /// A guest network interface: virtio-net with `mac` on a host device.
    public struct Interface: Sendable, Equatable {
        public enum HostDevice: Sendable, Equatable {
            /// A tap device QEMU opens by name.
            case tap(String)
            /// A descriptor QEMU inherits (a macvtap's `/dev/tapN`), by its number in QEMU.
            case descriptor(Int32)
        }

        public var device: HostDevice
        public var mac: String

        public init(device: HostDevice, mac: String) {
            self.device = device
            self.mac = mac
        }
    }

    public var id: String
    public var accel: Accel
    public var machine: Machine
    public var cpus: Int
    public var memoryMB: Int64
    public var kernelPath: String?
    public var initrdPath: String?
    /// The per-instance disk (an overlay on the image's root disk, or a blank scratch disk), qcow2.
    public var diskPath: String?
    /// The NoCloud seed volume.
    public var cidataPath: String?
    /// A bridge to attach a virtio-net interface to (through QEMU's bridge helper, which makes the tap).
    public var bridge: String?
    public var consolePath: String
    public var qmpPath: String
    /// The socket of the second QMP monitor, the one the backend follows events on.
    public var eventsPath: String?
    public var pidPath: String
    /// The user's kernel command line, after Flotilla's own parts.
    public var kernelArguments: String?
    /// The host's TSC frequency, given to TCG guests (see ``kernelCommandLine``).
    public var tscKHz: Int?
    /// Whether the disk holds the root file system (an image's root disk), rather than blank scratch space.
    public var rootOnDisk: Bool
    /// Additional disks, in the spec's order.
    public var disks: [Disk]
    /// Interfaces on Flotilla networks, in the spec's order (`net0`, `net1`, ...).
    public var interfaces: [Interface]
    /// Flotilla's `ip=` argument (``ipArgument(address:network:)``), before the user's kernel arguments.
    public var ipArgument: String?
    /// Waits for a live migration (docs/decisions/0027-live-migration.md): `-incoming defer` (the channel is given
    /// over QMP), and the writable drives' devices share writes, which the disk server (NBD) that receives their
    /// mirrored content holds until the migrated guest runs.
    public var incoming: Bool
    /// The internal qcow2 snapshot to resume from (`-loadvm <tag>`; docs/decisions/0028-snapshots.md), instead of a boot.
    public var loadvm: String?
    /// Leaves the guest paused once it is loaded (`-S`): an incoming guest on shared disks runs only once the cluster
    /// named this host its owner (docs/decisions/0029-shared-disk-storage.md).
    public var startPaused = false

    public init(
        id: String, accel: Accel, machine: Machine, cpus: Int, memoryMB: Int64, kernelPath: String?,
        initrdPath: String?, diskPath: String?, cidataPath: String?, bridge: String?, consolePath: String,
        qmpPath: String, eventsPath: String? = nil, pidPath: String, kernelArguments: String? = nil, tscKHz: Int? = nil,
        rootOnDisk: Bool = true, disks: [Disk] = [], interfaces: [Interface] = [], ipArgument: String? = nil,
        incoming: Bool = false, loadvm: String? = nil
    ) {
        self.id = id
        self.accel = accel
        self.machine = machine
        self.cpus = cpus
        self.memoryMB = memoryMB
        self.kernelPath = kernelPath
        self.initrdPath = initrdPath
        self.diskPath = diskPath
        self.cidataPath = cidataPath
        self.bridge = bridge
        self.consolePath = consolePath
        self.qmpPath = qmpPath
        self.eventsPath = eventsPath
        self.pidPath = pidPath
        self.kernelArguments = kernelArguments
        self.tscKHz = tscKHz
        self.rootOnDisk = rootOnDisk
        self.disks = disks
        self.interfaces = interfaces
        self.ipArgument = ipArgument
        self.incoming = incoming
        self.loadvm = loadvm
    }

    /// The machine a spec asks for.
    public static func machine(for spec: InstanceSpec, hasKernel: Bool) -> Machine {
        if spec.metadata["kvm.machine"] == Machine.q35.rawValue || !hasKernel { return .q35 }
        return .microvm
    }

    /// The host's TSC frequency in kHz (`/sys/.../tsc_freq_khz`, else `cpu MHz` of /proc/cpuinfo).
    public static func hostTSCKHz() -> Int? {
        if let text = try? String(contentsOfFile: "/sys/devices/system/cpu/cpu0/tsc_freq_khz", encoding: .utf8),
            let khz = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            return khz
        }
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("cpu MHz") {
            if let value = line.split(separator: ":").last.flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }) {
                return Int(value * 1000)
            }
        }
        return nil
    }

    /// Whole vCPUs for the requested cores (at least one).
    public static func cpus(for resources: Resources) -> Int {
        max(1, Int(resources.cpuCores.rounded(.up)))
    }

    /// The bridge a KVM config names (`networkType: "bridge"`, `networkSource: <bridge>`), if any.
    public static func bridge(for config: InstanceConfig) -> String? {
        guard config.networkType == "bridge", let source = config.networkSource, !source.isEmpty else { return nil }
        return source
    }

    /// The kernel's `ip=` argument for a static address (the nfsroot syntax, which initramfs-tools and the
    /// test guest's init read): `ip=<addr>::<gateway>:<netmask>::eth0:off[:<dns0>[:<dns1>]]`.
    public static func ipArgument(address: IPv4Address, network: NetworkDefinition) -> String {
        let dns = network.nameservers.prefix(2).map { ":\($0)" }.joined()
        return "ip=\(address)::\(network.gateway):\(network.cidr.mask)::eth0:off\(dns)"
    }

    /// The guest MAC of interface `index`: the one recorded, else derived from its address, else from the
    /// instance id and the index.
    public static func guestMAC(of interface: NetworkInterface, index: Int, instanceId: String) -> String {
        if let mac = interface.mac { return mac }
        if let address = interface.address { return NetworkInterface.derivedMAC(network: interface.network, address: address) }
        return macAddress(for: "\(instanceId)/\(index)")
    }

    /// A stable, locally administered MAC address for the instance.
    public static func macAddress(for id: String) -> String {
        var hash: UInt32 = 2_166_136_261
        for byte in id.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        let b = [(hash >> 16) & 0xff, (hash >> 8) & 0xff, hash & 0xff]
        return "52:54:00:" + b.map { String(format: "%02x", $0) }.joined(separator: ":")
    }

    /// The loops-per-jiffy a TCG guest is given (its delays only need to be long enough).
    public static let tcgLoopsPerJiffy = 4_000_000

    /// A value inside a QEMU option list, where a comma is written twice.
    static func escaped(_ value: String) -> String { value.replacingOccurrences(of: ",", with: ",,") }

    /// The kernel command line.
    public var kernelCommandLine: String {
        var parts = ["console=ttyS0", "panic=-1"]
        // Under emulation the guest's TSC and delay-loop calibrations against the emulated PIT fail on a busy
        // host, and the guest then waits for a clock that never ticks: give it the TSC frequency (under TCG
        // the guest reads the host's TSC) and a loops-per-jiffy value instead.
        if accel == .tcg {
            parts.append("lpj=\(Self.tcgLoopsPerJiffy)")
            if let tscKHz, tscKHz > 0 { parts.append("tsc_early_khz=\(tscKHz)") }
            // The TSC the guest reads is the host's (steady); the guest's watchdog compares it with timer
            // ticks that arrive late under load, declares it unstable and falls back to jiffies, and the
            // guest's clock then crawls. Keep the TSC.
            parts.append("tsc=reliable")
        }
        if diskPath != nil, rootOnDisk, kernelArguments?.contains("root=") != true { parts.append("root=/dev/vda rw") }
        if let ipArgument { parts.append(ipArgument) }
        if let kernelArguments, !kernelArguments.isEmpty { parts.append(kernelArguments) }
        return parts.joined(separator: " ")
    }

    /// The arguments after the program name.
    public var arguments: [String] {
        let device = machine == .microvm ? "device" : "pci"
        let shared = incoming ? ",share-rw=on" : ""
        var a: [String] = [
            "-name", "flotilla-\(id),debug-threads=on",
            "-M", machine.rawValue,
            "-accel", accel.rawValue,
        ]
        a += ["-cpu", accel == .kvm ? "host" : "max"]
        a += [
            "-smp", "\(cpus)",
            "-m", "\(memoryMB)",
            "-nodefaults", "-no-user-config", "-display", "none",
            "-chardev", "file,id=console,path=\(Self.escaped(consolePath)),append=on",
            "-serial", "chardev:console",
            "-qmp", "unix:\(Self.escaped(qmpPath)),server=on,wait=off",
        ]
        if let eventsPath {
            a += [
                "-chardev", "socket,id=events,path=\(Self.escaped(eventsPath)),server=on,wait=off",
                "-mon", "chardev=events,mode=control",
            ]
        }
        a += ["-pidfile", pidPath, "-no-reboot"]
        if let diskPath {
            a += [
                "-drive", "id=root,file=\(Self.escaped(diskPath)),format=qcow2,if=none",
                "-device", "virtio-blk-\(device),drive=root\(shared)",
            ]
        }
        if let cidataPath {
            a += [
                "-drive", "id=cidata,file=\(Self.escaped(cidataPath)),format=raw,if=none,readonly=on",
                "-device", "virtio-blk-\(device),drive=cidata",
            ]
        }
        for disk in disks {
            a += [
                "-drive",
                "id=disk-\(disk.id),file=\(Self.escaped(disk.path)),format=qcow2,if=none" + (disk.readOnly ? ",readonly=on" : ""),
                "-device", "virtio-blk-\(device),drive=disk-\(disk.id),serial=\(disk.id)" + (disk.readOnly ? "" : shared),
            ]
        }
        for (index, interface) in interfaces.enumerated() {
            switch interface.device {
            case .tap(let name): a += ["-netdev", "tap,id=net\(index),ifname=\(name),script=no,downscript=no"]
            case .descriptor(let fd): a += ["-netdev", "tap,id=net\(index),fd=\(fd)"]
            }
            a += ["-device", "virtio-net-\(device),netdev=net\(index),mac=\(interface.mac)"]
        }
        if let bridge, interfaces.isEmpty {
            a += [
                "-netdev", "bridge,id=net0,br=\(bridge)",
                "-device", "virtio-net-\(device),netdev=net0,mac=\(Self.macAddress(for: id))",
            ]
        }
        if let kernelPath {
            a += ["-kernel", kernelPath]
            if let initrdPath { a += ["-initrd", initrdPath] }
            a += ["-append", kernelCommandLine]
        }
        if incoming { a += ["-incoming", "defer"] }
        if startPaused { a.append("-S") }
        if let loadvm { a += ["-loadvm", loadvm] }
        return a
    }
}
