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
        return rows
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
