import FlotillaCore
import Foundation

/// A tiny in-memory record of store writes for reducer tests: every write gets the next revision and the
/// create/mod revisions and versions etcd would give it.
struct StoreLog {
    private(set) var revision: Revision = 0
    private var current: [String: KeyValue] = [:]

    /// The keys as a range read would return them now.
    var kvs: [KeyValue] { current.values.sorted { $0.key < $1.key } }

    mutating func put<T: Encodable>(_ key: String, _ value: T) throws -> WatchEvent {
        putRaw(key, try StoreCodec.encode(value))
    }

    mutating func putRaw(_ key: String, _ value: Data) -> WatchEvent {
        revision += 1
        let previous = current[key]
        let kv = KeyValue(
            key: key, value: value, createRevision: previous?.createRevision ?? revision, modRevision: revision,
            version: (previous?.version ?? 0) + 1)
        current[key] = kv
        return WatchEvent(kind: .put, kv: kv)
    }

    mutating func delete(_ key: String) -> WatchEvent {
        revision += 1
        current[key] = nil
        return WatchEvent(
            kind: .delete, kv: KeyValue(key: key, value: Data(), createRevision: 0, modRevision: revision, version: 0))
    }
}

enum Fixtures {
    static let epoch = Date(timeIntervalSince1970: 1_700_000_000)

    static func instance(
        _ id: String, name: String? = nil, state: InstanceState = .running, worker: String? = "w1",
        cpu: Double = 1, memoryMB: Int64 = 512, diskGB: Int64 = 0
    ) -> Instance {
        var instance = Instance(
            id: id, name: name ?? "name-\(id)", kind: .container, backend: .sim,
            spec: InstanceSpec(
                config: InstanceConfig(image: "debian-12"),
                resources: Resources(cpuCores: cpu, memoryBytes: memoryMB << 20, storageBytes: diskGB << 30)),
            createdAt: epoch)
        instance.state = state
        instance.workerId = worker
        return instance
    }

    static func worker(_ id: String, admin: WorkerAdminStatus = .active) -> Worker {
        Worker(
            id: id, hostname: "host-\(id)", address: "http://127.0.0.1:8080", capabilities: [.sim],
            capacity: WorkerCapacity(cpuCores: 4, memoryMB: 8192, diskGB: 100, maxInstances: 10),
            adminStatus: admin, startedAt: epoch)
    }
}
