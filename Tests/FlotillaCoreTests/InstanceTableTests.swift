import FlotillaCore
import Foundation
import Testing

/// The registry's instance indexes (docs/decisions/0032-registry-indexes.md) always equal what a pass over every
/// record computes, whatever sequence of writes, rewrites and removals led there.
@Suite struct InstanceTableTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// What the indexes must hold, computed the slow way from the records alone.
    struct Scan: Equatable {
        var liveByWorker: [String: Set<String>] = [:]
        var allocations: [String: Allocation] = [:]
        var pending: Set<String> = []
        var tombstones: Set<String> = []
        var migratedFrom: [String: Set<String>] = [:]
        var addresses: [String: Set<IPv4Address>] = [:]

        init(_ records: [String: Versioned<Instance>]) {
            for (id, versioned) in records {
                let i = versioned.value
                if let from = i.migratedFrom { migratedFrom[from, default: []].insert(id) }
                guard i.isLive else {
                    tombstones.insert(id)
                    continue
                }
                if i.state == .pending && i.workerId == nil && i.desired != .deleted { pending.insert(id) }
                if let w = i.workerId {
                    liveByWorker[w, default: []].insert(id)
                    allocations[w, default: Allocation()].add(i.spec.resources)
                }
                for interface in i.spec.config.networks ?? [] {
                    if let a = interface.address { addresses[interface.network, default: []].insert(a) }
                }
            }
        }

        init(_ table: InstanceTable) {
            for worker in table.workersHoldingInstances { liveByWorker[worker] = Set(table.liveIds(onWorker: worker)) }
            allocations = table.allocations
            pending = Set(table.pending.map(\.value.id))
            tombstones = Set(table.tombstones.map(\.value.id))
            for worker in ["w1", "w2", "w3"] {
                let ids = Set(table.migrated(from: worker).map(\.id))
                if !ids.isEmpty { migratedFrom[worker] = ids }
            }
            addresses = table.addressesInUse
        }
    }

    static func instance(_ id: String, using rng: inout SplitMix64) -> Instance {
        let workers = ["w1", "w2", "w3", nil]
        let networks = (0..<Int.random(in: 0...2, using: &rng)).map { n in
            NetworkInterface(
                network: "net\(n)", address: Bool.random(using: &rng) ? IPv4Address(UInt32.random(in: 1...6, using: &rng)) : nil)
        }
        var i = Instance(
            id: id, name: "vm-\(id)", kind: .vm, backend: .sim,
            spec: InstanceSpec(
                config: InstanceConfig(image: "busybox", networks: networks),
                resources: Resources(
                    cpuCores: [0.1, 0.25, 1, 1.5, 3][Int.random(in: 0..<5, using: &rng)],
                    memoryBytes: Int64.random(in: 1...8, using: &rng) << 28)),
            createdAt: now)
        i.workerId = workers.randomElement(using: &rng) ?? nil
        i.state = [InstanceState.pending, .running, .stopped, .deleted, .error].randomElement(using: &rng) ?? .pending
        i.desired = [DesiredState.running, .stopped, .deleted].randomElement(using: &rng) ?? .running
        i.migratedFrom = Bool.random(using: &rng) ? workers.randomElement(using: &rng) ?? nil : nil
        return i
    }

    @Test("after any sequence of puts, rewrites and removals, every index equals a pass over the records", arguments: 0..<40)
    func indexesFollowTheRecords(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var table = InstanceTable()
        var records: [String: Versioned<Instance>] = [:]
        for step in 0..<300 {
            let id = "i\(Int.random(in: 0..<40, using: &rng))"
            let value: Versioned<Instance>? =
                Int.random(in: 0..<5, using: &rng) == 0
                ? nil : Versioned(value: Self.instance(id, using: &rng), modRevision: Revision(step), createRevision: 1)
            table[id] = value
            records[id] = value
        }
        #expect(Dictionary(uniqueKeysWithValues: table.map { ($0.key, $0.value) }) == records)
        #expect(Scan(table) == Scan(records))
        #expect(table.addressesInUse(on: ["net0", "none"]) == Scan(records).addresses.filter { $0.key == "net0" })
        let order = records.values.map { CreationKey($0.value) }.sorted()
        #expect(table.oldestFirst().map { CreationKey($0.value) } == order)
        #expect(table.newestFirst().map { CreationKey($0.value) } == order.reversed())
        let live = records.values.filter(\.value.isLive)
        #expect(table.liveCount() == live.count && table.liveCount(kind: .vm) == live.filter { $0.value.kind == .vm }.count)
    }

    @Test("listing order holds across thousands of keys written in random order, removed and rewritten; any position resumes")
    func creationOrderAtSize() {
        var rng = SplitMix64(seed: 3)
        var table = InstanceTable()
        var records: [String: Versioned<Instance>] = [:]
        for step in 0..<6000 {
            let id = "i\(Int.random(in: 0..<4000, using: &rng))"
            var instance = Self.instance(id, using: &rng)
            // Few distinct milliseconds: many ties, told apart by id.
            instance.createdAt = Self.now.addingTimeInterval(Double(Int.random(in: 0..<50, using: &rng)) / 1000)
            let value = step % 7 == 0 ? nil : Versioned(value: instance, modRevision: Revision(step), createRevision: 1)
            table[id] = value
            records[id] = value
        }
        let order = records.values.map { CreationKey($0.value) }.sorted()
        #expect(order.count > 2 * 1024, "enough keys for several chunks")
        #expect(table.oldestFirst().map { CreationKey($0.value) } == order)
        #expect(table.newestFirst().map { CreationKey($0.value) } == order.reversed())
        for position in [0, 1, 1023, 1024, 2047, order.count - 1] {
            #expect(table.oldestFirst(after: order[position]).map { CreationKey($0.value) } == Array(order[(position + 1)...]))
        }
        // A position no record holds (its record was removed): the page resumes at the next key.
        let gone = CreationKey(millis: order[500].millis, id: order[500].id + "-gone")
        #expect(table.oldestFirst(after: gone).first { _ in true }.map { CreationKey($0.value) } == order[501])
    }

    @Test("CPU adds and takes away exactly: a worker's allocation after its instances leave is zero, not a rounding residue")
    func exactCPU() {
        var rng = SplitMix64(seed: 7)
        var table = InstanceTable()
        for n in 0..<30 {
            var i = Self.instance("i\(n)", using: &rng)
            (i.state, i.desired, i.workerId, i.spec.resources.cpuCores) = (.running, .running, "w1", 0.1)
            table[i.id] = Versioned(value: i, modRevision: 1, createRevision: 1)
        }
        #expect(table.allocations["w1"]?.cpuCores == 3)
        for n in 0..<29 { table["i\(n)"] = nil }
        #expect(table.allocations["w1"] == Allocation(cpuCores: 0.1, memoryMB: table.allocations["w1"]?.memoryMB ?? -1, instances: 1))
        table["i29"] = nil
        #expect(table.allocations["w1"] == nil && table.liveIds(onWorker: "w1").isEmpty && !table.workersHoldingInstances.contains("w1"))
    }

    @Test("two tables holding the same records are equal, whatever order they were written in")
    func equality() {
        var rng = SplitMix64(seed: 11)
        let instances = (0..<20).map { Versioned(value: Self.instance("i\($0)", using: &rng), modRevision: 1, createRevision: 1) }
        var a = InstanceTable()
        var b = InstanceTable()
        for i in instances { a[i.value.id] = i }
        for i in instances.reversed() { b[i.value.id] = i }
        #expect(a == b)
        b["i0"] = nil
        #expect(a != b)
    }
}
