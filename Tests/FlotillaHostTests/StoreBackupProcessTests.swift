import FlotillaAPI
import FlotillaClient
import FlotillaCore
import FlotillaStore
import FlotillaTestSupport
import Foundation
import Testing

/// `flotilla store backup`, `export` and `import` with real hosts (issue 18): a host on SQLite with 1,000
/// instances is backed up and exported while it runs; the export goes into a new etcd cluster and into a new
/// PostgreSQL database, and a host on each serves the same instances, keys and catalogs; a host on the backup copy
/// serves the same instances too.
@Suite(
    "flotilla store: backup, export and import between real hosts", .serialized, .etcdAvailable, .postgresAvailable,
    .timeLimit(.minutes(15)))
struct StoreBackupProcessTests {
    static let key = "flt_store_backup_test_key_0123456"
    static let instances = 1000
    /// Both stores' hosts: one cluster secret (API keys are stored as HMACs under it), room for every instance,
    /// no rate limit for the bulk creates.
    static let hostOptions = ["--cluster-secret", "store-backup-secret", "--max-instances", "2000", "--rate-limit", "0"]

    @Test(
        "a SQLite host with 1,000 instances, backed up and exported while it runs: a cut export is refused and leaves etcd and PostgreSQL empty; the export imported into etcd, into PostgreSQL, and the backup copy each serve the same instances, the same catalogs and the same keys"
    )
    func backupExportImport() async throws {
        try await FixtureStack.with { stack in
            let dir = try await stack.temporaryDirectory("store-backup")
            let first = try await stack.serve(dataDir: dir + "/first", apiKey: Self.key, extra: Self.hostOptions)
            let ids = try await Self.createInstances(first)
            #expect(ids.count == Self.instances)
            let (readerKey, flavors, images) = try await Self.client(first, Self.key) { client in
                _ = try await client.createFlavor(VMs.FlavorCreateRequest(name: "backup-check", vcpus: 3, memoryMB: 3072, diskGB: 30))
                let reader = try await client.createKey(name: "made-on-sqlite", role: "reader")
                return (reader.key, try await client.listFlavors(), try await client.listImages())
            }
            #expect(flavors.items.contains { $0.name == "backup-check" } && !images.items.isEmpty)

            // While the host runs: an online copy of its database, and an export. (The store commands do not call the
            // host; `cli` only runs the binary.)
            let copyDir = dir + "/copy"
            try FileManager.default.createDirectory(
                atPath: copyDir, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            let backup = try await first.cli(["store", "backup", "--data-dir", first.dataDir, "--out", copyDir + "/flotilla.sqlite"])
            #expect(backup.status == 0, "\(backup.err)")
            #expect(backup.out.hasPrefix("backed up \(first.dataDir)/flotilla.sqlite to \(copyDir)/flotilla.sqlite: "), "\(backup.out)")
            let export = try await first.cli(["store", "export", "--data-dir", first.dataDir, "--out", dir + "/store.jsonl"])
            #expect(export.status == 0, "\(export.err)")
            #expect(export.out.hasPrefix("exported ") && export.out.hasSuffix(" to \(dir)/store.jsonl\n"), "\(export.out)")
            #expect(await first.stop() == 0)

            let etcd = try await stack.etcd()
            let sound = try Data(contentsOf: URL(fileURLWithPath: dir + "/store.jsonl"))
            try sound.prefix(sound.count * 2 / 3).write(to: URL(fileURLWithPath: dir + "/cut.jsonl"))
            let cut = try await first.cli(["store", "import", dir + "/cut.jsonl", "--store", etcd.storeSpec])
            #expect(cut.status == 1)
            #expect(cut.err.hasPrefix("error: not a usable store export: line ") && cut.err.contains("it is truncated"), "\(cut.err)")
            #expect(cut.out.isEmpty)
            #expect(try await Self.keyCount(etcd) == 0, "nothing written from a cut export")

            let imported = try await first.cli(["store", "import", dir + "/store.jsonl", "--store", etcd.storeSpec])
            #expect(imported.status == 0, "\(imported.err)")
            #expect(imported.out.hasPrefix("imported ") && imported.out.contains("left out "), "\(imported.out)")
            #expect(try await Self.keyCount(etcd) > Self.instances)
            let again = try await first.cli(["store", "import", dir + "/store.jsonl", "--store", etcd.storeSpec])
            #expect(again.status == 1)
            #expect(again.err.contains("an import needs an empty store; nothing was written"), "\(again.err)")

            let onEtcd = try await stack.serve(dataDir: dir + "/on-etcd", apiKey: Self.key, extra: etcd.serveArguments + Self.hostOptions)
            try await Self.expectSame(onEtcd, readerKey: readerKey, ids: ids, flavors: flavors, images: images)
            await onEtcd.stop()

            // The same export into PostgreSQL (ADR 0030), the password from a file.
            let postgres = try await stack.postgres()
            let database = try await postgres.createDatabase()
            let passwordFile = dir + "/postgres-password"
            try Data((postgres.password + "\n").utf8).write(to: URL(fileURLWithPath: passwordFile))
            let pgStore = ["--store", postgres.storeSpec(database), "--postgres-password-file", passwordFile]
            let cutPG = try await first.cli(["store", "import", dir + "/cut.jsonl"] + pgStore)
            #expect(cutPG.status == 1)
            #expect(cutPG.err.contains("it is truncated"), "\(cutPG.err)")
            #expect(try await Self.keyCount(postgres, database) == 0, "nothing written from a cut export")
            let intoPG = try await first.cli(["store", "import", dir + "/store.jsonl"] + pgStore)
            #expect(intoPG.status == 0, "\(intoPG.err)")
            #expect(try await Self.keyCount(postgres, database) > Self.instances)
            let onPG = try await stack.serve(
                dataDir: dir + "/on-postgres", apiKey: Self.key, extra: postgres.serveArguments(database) + Self.hostOptions,
                environment: postgres.serveEnvironment)
            try await Self.expectSame(onPG, readerKey: readerKey, ids: ids, flavors: flavors, images: images)
            await onPG.stop()

            // The copy restores the first host's data folder: the folder's identity (node-key) goes with it, so the host
            // is the same node as the one whose registration the copy still holds.
            try FileManager.default.copyItem(atPath: first.dataDir + "/node-key", toPath: copyDir + "/node-key")
            let onCopy = try await stack.serve(dataDir: copyDir, apiKey: Self.key, extra: Self.hostOptions)
            try await Self.expectSame(onCopy, readerKey: readerKey, ids: ids, flavors: flavors, images: images)
        }
    }

    /// Creates ``instances`` sim instances through `host`, eight requests at a time, without waiting for them
    /// to run; returns their ids.
    static func createInstances(_ host: ServeProcess) async throws -> Set<String> {
        try await client(host, key) { client in
            try await withThrowingTaskGroup(of: [String].self) { group in
                for lane in 0..<8 {
                    group.addTask {
                        var ids: [String] = []
                        for i in stride(from: lane, to: instances, by: 8) {
                            let request = Compute.CreateRequest(
                                name: "bulk-\(i)", backend: "sim", config: .init(image: "busybox"),
                                resources: .init(cpu: .init(cores: 0.05), memory: .init(limit: 16 << 20)))
                            ids.append(try await client.createInstance(request, wait: false).instance.id)
                        }
                        return ids
                    }
                }
                var all = Set<String>()
                for try await ids in group { all.formUnion(ids) }
                return all
            }
        }
    }

    /// Checks that `host` lists exactly `ids` to the reader key made on the first host, and the same flavors
    /// and images.
    static func expectSame(
        _ host: ServeProcess, readerKey: String, ids: Set<String>, flavors: VMs.FlavorList, images: VMs.ImageList
    ) async throws {
        try await client(host, readerKey) { client in
            var listed = Set<String>()
            try await eventually("\(host.url) lists the \(ids.count) instances", timeout: .seconds(60), every: .milliseconds(500)) {
                listed = try await allInstanceIds(client)
                return listed == ids
            }
            #expect(listed == ids)
            #expect(try await client.listFlavors() == flavors)
            #expect(try await client.listImages() == images)
        }
    }

    /// Every instance id `client` lists, page by page.
    static func allInstanceIds(_ client: FlotillaClient) async throws -> Set<String> {
        var ids = Set<String>()
        var page = 1
        while true {
            let list = try await client.listInstances(page: page, pageSize: 500)
            ids.formUnion(list.instances.map(\.id))
            if list.instances.isEmpty || ids.count >= list.total { return ids }
            page += 1
        }
    }

    /// How many keys the etcd cluster holds.
    static func keyCount(_ etcd: EtcdCluster) async throws -> Int {
        let store = try etcd.store()
        do {
            let count = try await store.range(prefix: "").kvs.count
            try? await store.close()
            return count
        } catch {
            try? await store.close()
            throw error
        }
    }

    /// How many keys the PostgreSQL database holds (through a store client, which makes the schema if it is new).
    static func keyCount(_ server: PostgresServer, _ database: String) async throws -> Int {
        let store = try await server.store(database)
        do {
            let count = try await store.range(prefix: "").kvs.count
            await store.close()
            return count
        } catch {
            await store.close()
            throw error
        }
    }

    static func client<T: Sendable>(_ host: ServeProcess, _ key: String, _ body: (FlotillaClient) async throws -> T) async throws -> T {
        try await FlotillaClient.withClient(baseURL: host.url, apiKey: key, timeout: .seconds(30), body)
    }
}
