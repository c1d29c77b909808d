import FlotillaBackends
import FlotillaCore
import FlotillaTestSupport
import Foundation
import Testing

/// Live migration between two kvm backends of one test process (docs/decisions/0027-live-migration.md): real QEMU
/// (TCG) on both sides, each backend on its own folder and, with networks, in its own network namespace, the streams
/// carried by the migration tunnel on loopback. The test guest prints a counter every second, so a move that rebooted
/// it would show its boot marker again and restart the count.
@Suite(
    .serialized, .enabled(if: KVMTestSupport.enabled, KVMTestSupport.skipReason),
    .enabled(if: NetlinkTestNamespace.enabled, NetlinkTestNamespace.skipReason))
struct QEMUMigrationTests {
    // Literals that parse (a typo fails every test that uses them at once).
    // swift-format-ignore: NeverForceUnwrap
    static let vmnet = NetworkDefinition(name: "vmnet", cidr: IPv4Network("10.78.0.0/24")!)

    /// The counter values in a console text, in order.
    static func ticks(_ console: String) -> [Int] {
        console.split(separator: "\n").compactMap { line in
            guard let range = line.range(of: "FLOTILLA-TICK ") else { return nil }
            return Int(line[range.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// Waits until the destination's console continues the count past `lastOnSource`, and checks it is one count
    /// from where the source was: no second boot marker, no count from 0, no gap.
    static func expectCountsOn(_ destination: QEMUBackend, _ id: String, after lastOnSource: Int) async throws {
        try await eventually("the destination's guest counts on", timeout: .seconds(60), every: .milliseconds(500)) {
            (ticks(try await destination.console(id: id, lines: 200)).last ?? -1) > lastOnSource + 2
        }
        let moved = try await destination.console(id: id, lines: 200)
        #expect(!moved.contains(GuestImageFixture.marker), "no boot: \(moved)")
        let values = ticks(moved)
        let first = try #require(values.first)
        #expect(first > lastOnSource - 1 && first <= lastOnSource + 3, "source ended at \(lastOnSource): \(values)")
        #expect(values == Array(first..<(first + values.count)), "one count, no restart: \(values)")
    }

    /// A 16 MiB ext4 volume holding token.txt, made without mounting anything.
    static func ext4Image(in dir: String, token: String) async throws -> String {
        let content = dir + "/volume"
        try FileManager.default.createDirectory(atPath: content, withIntermediateDirectories: true)
        try Data(token.utf8).write(to: URL(fileURLWithPath: content + "/token.txt"))
        let image = dir + "/volume.img"
        _ = try await KVMTestSupport.run("/usr/sbin/mkfs.ext4", ["-q", "-F", "-d", content, image, "16M"], timeout: .seconds(60))
        return image
    }

    /// Runs `body` with a source and a destination backend, each on its own folder (and namespace with `links`, and
    /// its tunnels' TLS with `tls`, and both with `<root>/shared` as their shared disk storage with `shared`); every
    /// QEMU is killed and both folders removed afterwards.
    static func withTwoBackends(
        namespaces: (String, String)? = nil, tls: (MigrationTunnelTLS, MigrationTunnelTLS)? = nil, shared: Bool = false,
        _ body: (QEMUBackend, QEMUBackend, GuestImageFixture.Guest, String) async throws -> Void
    ) async throws {
        try KVMTestSupport.requireQEMU()
        let guest = try await GuestImageFixture.guest()
        let root = KVMTestSupport.temporaryDirectory("mig")
        func backend(_ name: String, namespace: String?, tls: MigrationTunnelTLS?) -> QEMUBackend {
            var configuration = QEMUBackend.Configuration(
                directory: root + "/" + name, accel: .tcg, links: namespace.map { NetlinkHostLinks(namespace: $0) },
                networkNamespace: namespace)
            configuration.migrationTLS = tls ?? .plain
            configuration.sharedDirectory = shared ? root + "/shared" : nil
            return QEMUBackend(configuration: configuration)
        }
        let source = backend("a", namespace: namespaces?.0, tls: tls?.0)
        let destination = backend("b", namespace: namespaces?.1, tls: tls?.1)
        let result: Result<Void, any Error>
        do {
            try await body(source, destination, guest, root)
            result = .success(())
        } catch {
            result = .failure(error)
        }
        await destination.stopAll()
        await source.stopAll()
        KVMTestSupport.killQEMUs(under: root)
        try? FileManager.default.removeItem(atPath: root)
        try result.get()
    }

    @Test func aRunningGuestMovesLiveKeepsCountingKeepsItsDiskAndItsMACAndTheTunnelRefusesAStranger() async throws {
        try await NetlinkTestNamespace.with { a in
            try await NetlinkTestNamespace.with { b in
                try await Self.withTwoBackends(namespaces: (a.name, b.name)) { source, destination, guest, root in
                    let id = QEMUFixtures.newId()
                    let token = "moved-\(UUID().uuidString.prefix(8))"
                    let volume = try await Self.ext4Image(in: root, token: token)
                    let config = InstanceConfig(
                        image: "flotilla-test-guest", kernelArguments: "flotilla.cat=data:token.txt",
                        disks: [DiskSpec(id: "data", image: "volume")],
                        networks: [NetworkInterface(network: "vmnet", address: IPv4Address("10.78.0.2")!)])
                    let request = QEMUFixtures.request(
                        id: id, guest: guest, config: config, networks: ["vmnet": Self.vmnet],
                        diskImages: ["data": DiskImage(path: volume, format: "raw")])
                    try await source.create(request)
                    try await source.start(id: id)
                    let sourcePid = try #require(try await source.pid(id: id))
                    // Generous: a TCG boot takes seconds, more on a busy machine.
                    try await eventually("the source guest reads its disk and counts", timeout: .seconds(180), every: .milliseconds(500)) {
                        let console = try await source.console(id: id, lines: 400)
                        return console.contains("FLOTILLA-FILE \(token)") && Self.ticks(console).contains(2)
                    }

                    let incoming = try await destination.prepareIncoming(request, listenHost: "127.0.0.1", sharedStorage: nil)
                    #expect(incoming.disks == ["root", "disk-data"])
                    #expect(await destination.incomingInstances() == [id])
                    // The same machine, devices and MAC, waiting for the stream.
                    let sourceArguments = try await source.arguments(id: id)
                    let destinationArguments = try await destination.arguments(id: id)
                    #expect(Array(destinationArguments.suffix(2)) == ["-incoming", "defer"])
                    #expect(
                        destinationArguments.dropLast(2).map { $0.replacingOccurrences(of: ",share-rw=on", with: "") }
                            == sourceArguments.map { $0.replacingOccurrences(of: root + "/a", with: root + "/b") })
                    #expect(try await destination.inspect(id: id).state == .paused)

                    // A stranger without the token is closed and reaches nothing: QEMU takes one incoming connection,
                    // so the migration below would fail had it got through.
                    let port = try #require(Int(incoming.migrationAddress.split(separator: ":").last ?? ""))
                    let stranger = try LoopbackSocket.connect(port: port)
                    try stranger.send("FLOTILLA-TUNNEL-1 not-the-token\n")
                    #expect(try stranger.readToEnd(timeout: .seconds(20)) == "", "closed without an answer")
                    stranger.close()

                    let lastOnSource = Self.ticks(try await source.console(id: id, lines: 400)).last ?? 0
                    let figures = try await source.migrateOut(id: id, to: incoming, timeout: .seconds(240))
                    try await destination.completeIncoming(id: id, timeout: .seconds(60))

                    #expect(figures.totalMilliseconds > 0)
                    #expect(figures.memoryBytes > 0)
                    #expect(figures.diskBytes >= 16 << 20, "the 16 MiB data disk at least: \(figures)")
                    #expect(figures.downtimeMilliseconds > 0 && figures.downtimeMilliseconds <= figures.totalMilliseconds, "\(figures)")
                    // The source's guest waits paused until the cluster deletes it (or resumes it, had the move not
                    // completed); it is deleted below, after its disk was compared with the destination's.
                    #expect(try await source.inspect(id: id).state == .paused)
                    let tap = NetworkInterface.hostDeviceName(instanceId: id, index: 0)
                    #expect(try await b.link(tap)?["master"] as? String == "fl-vmnet")
                    #expect(await destination.incomingInstances().isEmpty)
                    #expect(try await destination.inspect(id: id).state == .running)

                    try await Self.expectCountsOn(destination, id, after: lastOnSource)

                    // The disk moved with it: identical to the source's, with no backing file; an ordinary stop and
                    // start of the destination boots from it and reads the file written before the move.
                    try await destination.stop(id: id, force: true, timeout: .zero)
                    let sourceDisk = root + "/a/" + id + "/disk-data.qcow2"
                    let destinationDisk = root + "/b/" + id + "/disk-data.qcow2"
                    _ = try await KVMTestSupport.run(
                        "/usr/bin/qemu-img", ["compare", "-U", sourceDisk, destinationDisk], timeout: .seconds(60))
                    // Deleted, the source's QEMU and its tap are gone.
                    try await source.delete(id: id, force: true)
                    #expect(!KVMTestSupport.isAlive(sourcePid))
                    #expect(try await a.link(tap) == nil)
                    let info = try await KVMTestSupport.run("/usr/bin/qemu-img", ["info", destinationDisk], timeout: .seconds(30))
                    #expect(!info.contains("backing file"), "\(info)")
                    try await destination.start(id: id)
                    try await eventually("the moved disk holds the file", timeout: .seconds(180), every: .milliseconds(500)) {
                        try await destination.console(id: id, lines: 400).contains("FLOTILLA-FILE \(token)")
                    }
                }
            }
        }
    }

    @Test func aDestinationKilledBeforeTheDisksMoveFailsTheMigrationAndTheGuestRunsOnHere() async throws {
        try await Self.withTwoBackends { source, destination, guest, root in
            let id = QEMUFixtures.newId()
            let request = QEMUFixtures.request(id: id, guest: guest)
            try await source.create(request)
            try await source.start(id: id)
            let sourcePid = try #require(try await source.pid(id: id))
            try await eventually("the source guest counts", timeout: .seconds(180), every: .milliseconds(500)) {
                Self.ticks(try await source.console(id: id, lines: 400)).contains(1)
            }
            let incoming = try await destination.prepareIncoming(request, listenHost: "127.0.0.1", sharedStorage: nil)
            #expect(incoming.disks == ["root"])
            let destinationPid = try #require(try await destination.pid(id: id))
            kill(destinationPid, SIGKILL)

            await #expect {
                _ = try await source.migrateOut(id: id, to: incoming, timeout: .seconds(120))
            } throws: { error in
                "\(error)".hasPrefix("live migration of \(id) failed while mirroring the disks: ")
            }
            #expect(KVMTestSupport.isAlive(sourcePid), "the same QEMU")
            #expect(try await source.inspect(id: id).state == .running)
            let before = Self.ticks(try await source.console(id: id, lines: 400)).last ?? 0
            try await eventually("the source guest counts on", timeout: .seconds(60), every: .milliseconds(500)) {
                (Self.ticks(try await source.console(id: id, lines: 400)).last ?? 0) >= before + 2
            }
            // QEMU kept nothing of the attempt: no mirror job, no NBD node.
            let jobs = try await QMPClient.execute(socketPath: root + "/a/" + id + "/qmp.sock", "query-block-jobs", timeout: .seconds(10))
            #expect(jobs == .array([]))

            await destination.abortIncoming(id: id)
            await destination.abortIncoming(id: id)
            #expect(!FileManager.default.fileExists(atPath: root + "/b/" + id))
            #expect(await destination.incomingInstances().isEmpty)
            #expect(try await destination.list().isEmpty)
        }
    }

    @Test func aWrongTokenFailsTheMigrationAndARestartedDestinationStillKnowsItsIncomingInstance() async throws {
        try await Self.withTwoBackends { source, destination, guest, root in
            let id = QEMUFixtures.newId()
            let request = QEMUFixtures.request(id: id, guest: guest)
            try await source.create(request)
            try await source.start(id: id)
            let sourcePid = try #require(try await source.pid(id: id))
            var incoming = try await destination.prepareIncoming(request, listenHost: "127.0.0.1", sharedStorage: nil)
            let destinationPid = try #require(try await destination.pid(id: id))
            incoming.token = String(repeating: "0", count: 64)
            await #expect {
                _ = try await source.migrateOut(id: id, to: incoming, timeout: .seconds(60))
            } throws: { error in
                let text = "\(error)"
                return text.hasPrefix("live migration of \(id) failed while mirroring the disks: ")
                    && text.contains("rejected the migration token")
            }
            #expect(KVMTestSupport.isAlive(sourcePid))
            #expect(try await source.inspect(id: id).state == .running)

            // A new backend on the destination's folder (Flotilla restarted): the incoming QEMU is neither lost nor
            // taken for an ordinary instance; aborting it leaves nothing.
            await destination.shutdown()
            let restarted = QEMUFixtures.backend(directory: root + "/b")
            #expect(await restarted.incomingInstances() == [id])
            #expect(try await restarted.list().map(\.id) == [id])
            #expect(try await restarted.pid(id: id) == destinationPid, "adopted, not started again")
            await restarted.abortIncoming(id: id)
            #expect(!KVMTestSupport.isAlive(destinationPid))
            #expect(!FileManager.default.fileExists(atPath: root + "/b/" + id))
            #expect(try await restarted.list().isEmpty)
        }
    }
}
