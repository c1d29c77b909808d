import FlotillaBackends
import FlotillaCore
import Testing

@Suite struct QEMUCommandLineTests {
    static func line(
        machine: QEMUCommandLine.Machine = .microvm, accel: QEMUCommandLine.Accel = .tcg, initrd: String? = "/k/initrd",
        disk: String? = nil, cidata: String? = nil, bridge: String? = nil, kernel: String? = "/k/vmlinuz"
    ) -> QEMUCommandLine {
        QEMUCommandLine(
            id: "abc", accel: accel, machine: machine, cpus: 2, memoryMB: 256, kernelPath: kernel, initrdPath: initrd,
            diskPath: disk, cidataPath: cidata, bridge: bridge, consolePath: "/d/console.log", qmpPath: "/d/qmp.sock",
            pidPath: "/d/qemu.pid", tscKHz: 2_600_000)
    }

    @Test func minimalMicrovm() {
        #expect(
            Self.line().arguments == [
                "-name", "flotilla-abc,debug-threads=on", "-M", "microvm", "-accel", "tcg", "-cpu", "max", "-smp", "2", "-m", "256",
                "-nodefaults", "-no-user-config", "-display", "none",
                "-chardev", "file,id=console,path=/d/console.log,append=on", "-serial", "chardev:console",
                "-qmp", "unix:/d/qmp.sock,server=on,wait=off", "-pidfile", "/d/qemu.pid", "-no-reboot",
                "-kernel", "/k/vmlinuz", "-initrd", "/k/initrd", "-append",
                "console=ttyS0 panic=-1 lpj=4000000 tsc_early_khz=2600000 tsc=reliable",
            ])
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var line: QEMUCommandLine
        /// Consecutive arguments that must appear.
        var contains: [[String]]
        var lacks: [String]
        var testDescription: String { name }
    }

    static var rows: [Row] {
        var rows: [Row] = []
        rows.append(
            Row(name: "kvm uses the host cpu", line: line(accel: .kvm), contains: [["-accel", "kvm", "-cpu", "host"]], lacks: []))
        rows.append(
            Row(name: "tcg emulates the most capable cpu", line: line(), contains: [["-accel", "tcg", "-cpu", "max"]], lacks: []))
        rows.append(
            Row(
                name: "kvm guests calibrate themselves", line: line(accel: .kvm), contains: [["-append", "console=ttyS0 panic=-1"]],
                lacks: []))
        rows.append(
            Row(
                name: "microvm disk is virtio-mmio", line: line(disk: "/d/overlay.qcow2"),
                contains: [
                    ["-drive", "id=root,file=/d/overlay.qcow2,format=qcow2,if=none", "-device", "virtio-blk-device,drive=root"],
                    ["-append", "console=ttyS0 panic=-1 lpj=4000000 tsc_early_khz=2600000 tsc=reliable root=/dev/vda rw"],
                ], lacks: []))
        rows.append(
            Row(
                name: "q35 disk is virtio-pci", line: line(machine: .q35, disk: "/d/overlay.qcow2"),
                contains: [["-M", "q35"], ["-device", "virtio-blk-pci,drive=root"]], lacks: []))
        rows.append(
            Row(
                name: "cidata is a read-only raw volume", line: line(cidata: "/d/cidata.iso"),
                contains: [
                    ["-drive", "id=cidata,file=/d/cidata.iso,format=raw,if=none,readonly=on", "-device", "virtio-blk-device,drive=cidata"]
                ], lacks: []))
        rows.append(
            Row(
                name: "a bridge gets virtio-net", line: line(bridge: "br0"),
                contains: [
                    [
                        "-netdev", "bridge,id=net0,br=br0", "-device",
                        "virtio-net-device,netdev=net0,mac=\(QEMUCommandLine.macAddress(for: "abc"))",
                    ]
                ], lacks: []))
        var scratch = line(disk: "/d/overlay.qcow2")
        scratch.rootOnDisk = false
        rows.append(
            Row(
                name: "a blank scratch disk is not the root", line: scratch,
                contains: [["-append", "console=ttyS0 panic=-1 lpj=4000000 tsc_early_khz=2600000 tsc=reliable"]],
                lacks: []))
        var events = line()
        events.eventsPath = "/d/events.sock"
        rows.append(
            Row(
                name: "a second QMP monitor for events", line: events,
                contains: [
                    [
                        "-qmp", "unix:/d/qmp.sock,server=on,wait=off",
                        "-chardev", "socket,id=events,path=/d/events.sock,server=on,wait=off",
                        "-mon", "chardev=events,mode=control",
                        "-pidfile", "/d/qemu.pid",
                    ]
                ], lacks: []))
        rows.append(
            Row(name: "no events socket, one monitor", line: line(), contains: [], lacks: ["-mon"]))
        rows.append(
            Row(name: "no bridge, no network", line: line(), contains: [], lacks: ["-netdev"]))
        rows.append(
            Row(name: "no initrd", line: line(initrd: nil), contains: [["-kernel", "/k/vmlinuz", "-append"]], lacks: ["-initrd"]))
        rows.append(
            Row(
                name: "no kernel boots the disk", line: line(machine: .q35, disk: "/d/o.qcow2", kernel: nil), contains: [],
                lacks: ["-kernel", "-append"]))
        return rows + diskRows + networkRows
    }

    static let flotillaAppend = "console=ttyS0 panic=-1 lpj=4000000 tsc_early_khz=2600000 tsc=reliable"

    /// Additional disks: after the root disk and cidata, in order, serial = id, read-only honoured.
    static var diskRows: [Row] {
        var rows: [Row] = []
        var disks = line(disk: "/d/overlay.qcow2", cidata: "/d/cidata.iso")
        disks.disks = [
            .init(id: "data", path: "/d/disk-data.qcow2"), .init(id: "ro_1", path: "/d/disk-ro_1.qcow2", readOnly: true),
        ]
        rows.append(
            Row(
                name: "disks follow the root disk and cidata, in order, with their id as serial", line: disks,
                contains: [
                    [
                        "-device", "virtio-blk-device,drive=cidata",
                        "-drive", "id=disk-data,file=/d/disk-data.qcow2,format=qcow2,if=none",
                        "-device", "virtio-blk-device,drive=disk-data,serial=data",
                        "-drive", "id=disk-ro_1,file=/d/disk-ro_1.qcow2,format=qcow2,if=none,readonly=on",
                        "-device", "virtio-blk-device,drive=disk-ro_1,serial=ro_1",
                    ]
                ], lacks: []))
        var q35 = line(machine: .q35)
        q35.disks = [.init(id: "d", path: "/a,b/disk-d.qcow2")]
        rows.append(
            Row(
                name: "q35 disks are virtio-pci; commas in their paths doubled", line: q35,
                contains: [
                    ["-drive", "id=disk-d,file=/a,,b/disk-d.qcow2,format=qcow2,if=none", "-device", "virtio-blk-pci,drive=disk-d,serial=d"]
                ], lacks: []))
        return rows
    }

    // Literals that parse (a typo fails every test that uses them at once).
    // swift-format-ignore: NeverForceUnwrap
    static let network = NetworkDefinition(
        name: "vmnet", cidr: IPv4Network("10.77.0.0/24")!, nameservers: [IPv4Address("10.77.0.53")!, IPv4Address("9.9.9.9")!])

    /// Interfaces: taps by name, macvtaps as inherited descriptors, the `ip=` of the first one before the user's
    /// kernel arguments.
    static var networkRows: [Row] {
        var rows: [Row] = []
        var nics = line(bridge: "br0")
        nics.interfaces = [
            .init(device: .tap("flabc00000000"), mac: "02:aa:0a:4d:00:02"), .init(device: .descriptor(3), mac: "02:aa:0a:4d:00:03"),
        ]
        rows.append(
            Row(
                name: "a tap by name, a macvtap by descriptor; the legacy bridge gives way", line: nics,
                contains: [
                    [
                        "-netdev", "tap,id=net0,ifname=flabc00000000,script=no,downscript=no",
                        "-device", "virtio-net-device,netdev=net0,mac=02:aa:0a:4d:00:02",
                        "-netdev", "tap,id=net1,fd=3",
                        "-device", "virtio-net-device,netdev=net1,mac=02:aa:0a:4d:00:03",
                    ]
                ], lacks: ["bridge,id=net0,br=br0"]))
        var ip = line(disk: "/d/overlay.qcow2")
        // Literals that parse (a typo fails every test that uses them at once).
        // swift-format-ignore: NeverForceUnwrap
        ip.ipArgument = QEMUCommandLine.ipArgument(address: IPv4Address("10.77.0.2")!, network: network)
        ip.kernelArguments = "ip=dhcp quiet"
        rows.append(
            Row(
                name: "Flotilla's root= and ip= come before the user's arguments", line: ip,
                contains: [
                    [
                        "-append",
                        flotillaAppend
                            + " root=/dev/vda rw ip=10.77.0.2::10.77.0.1:255.255.255.0::eth0:off:10.77.0.53:9.9.9.9 ip=dhcp quiet",
                    ]
                ], lacks: []))
        var userRoot = line(disk: "/d/overlay.qcow2")
        userRoot.kernelArguments = "root=/dev/vdb ro"
        rows.append(
            Row(
                name: "a user's root= replaces Flotilla's", line: userRoot,
                contains: [["-append", flotillaAppend + " root=/dev/vdb ro"]], lacks: []))
        return rows
    }

    @Test func ipArgumentNamesAtMostTwoNameservers() {
        var network = Self.network
        let address = IPv4Address("10.77.0.9")!
        #expect(
            QEMUCommandLine.ipArgument(address: address, network: network)
                == "ip=10.77.0.9::10.77.0.1:255.255.255.0::eth0:off:10.77.0.53:9.9.9.9")
        network.nameservers.append(IPv4Address("1.1.1.1")!)
        #expect(QEMUCommandLine.ipArgument(address: address, network: network).hasSuffix(":off:10.77.0.53:9.9.9.9"))
        network.nameservers = []
        network.cidr = IPv4Network("10.77.0.0/20")!
        #expect(QEMUCommandLine.ipArgument(address: address, network: network) == "ip=10.77.0.9::10.77.0.1:255.255.240.0::eth0:off")
    }

    @Test func guestMACIsTheRecordedOneElseDerived() {
        let address = IPv4Address("10.77.0.2")!
        #expect(
            QEMUCommandLine.guestMAC(of: NetworkInterface(network: "vmnet", mac: "02:00:00:00:00:01"), index: 0, instanceId: "x")
                == "02:00:00:00:00:01")
        #expect(
            QEMUCommandLine.guestMAC(of: NetworkInterface(network: "vmnet", address: address), index: 0, instanceId: "x")
                == NetworkInterface.derivedMAC(network: "vmnet", address: address))
        let a = QEMUCommandLine.guestMAC(of: NetworkInterface(network: "vmnet"), index: 0, instanceId: "x")
        let b = QEMUCommandLine.guestMAC(of: NetworkInterface(network: "vmnet"), index: 1, instanceId: "x")
        #expect(a != b && NetworkInterface.isValidMAC(a) && NetworkInterface.isValidMAC(b))
    }

    @Test(arguments: rows)
    func table(_ row: Row) {
        let a = row.line.arguments
        for run in row.contains {
            #expect(Self.contains(a, run), "\(run) in \(a)")
        }
        for missing in row.lacks { #expect(!a.contains(missing)) }
    }

    /// Whether `run` appears in `arguments` as consecutive elements.
    static func contains(_ arguments: [String], _ run: [String]) -> Bool {
        guard run.count <= arguments.count else { return false }
        for start in 0...(arguments.count - run.count) {
            let window: [String] = Array(arguments[start..<(start + run.count)])
            if window == run { return true }
        }
        return false
    }

    @Test func commasInPathsAreDoubled() {
        var l = Self.line()
        l.consolePath = "/a,b/console.log"
        #expect(l.arguments.contains("file,id=console,path=/a,,b/console.log,append=on"))
        l.eventsPath = "/a,b/events.sock"
        #expect(l.arguments.contains("socket,id=events,path=/a,,b/events.sock,server=on,wait=off"))
    }

    @Test func specMapping() {
        let spec = InstanceSpec(config: InstanceConfig(image: "x"), resources: Resources(cpuCores: 1.5, memoryBytes: 100 << 20))
        #expect(QEMUCommandLine.cpus(for: spec.resources) == 2)
        #expect(QEMUCommandLine.cpus(for: Resources(cpuCores: 0.25)) == 1)
        #expect(QEMUCommandLine.machine(for: spec, hasKernel: true) == .microvm)
        #expect(QEMUCommandLine.machine(for: spec, hasKernel: false) == .q35)
        var q35 = spec
        q35.metadata["kvm.machine"] = "q35"
        #expect(QEMUCommandLine.machine(for: q35, hasKernel: true) == .q35)
        #expect(QEMUCommandLine.bridge(for: InstanceConfig(image: "x", networkType: "bridge", networkSource: "br0")) == "br0")
        #expect(QEMUCommandLine.bridge(for: InstanceConfig(image: "x", networkType: "user", networkSource: "br0")) == nil)
        #expect(QEMUCommandLine.bridge(for: InstanceConfig(image: "x", networkType: "bridge")) == nil)
        let mac = QEMUCommandLine.macAddress(for: "abc")
        #expect(mac.hasPrefix("52:54:00:") && mac.count == 17)
        #expect(mac == QEMUCommandLine.macAddress(for: "abc"))
        #expect(mac != QEMUCommandLine.macAddress(for: "abd"))
    }
}
