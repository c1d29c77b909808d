public import HashTreeCollections

/// The instances a registry holds, by id, with the indexes the hot paths read kept up to date on every write
/// (docs/decisions/0032-registry-indexes.md): what each worker holds and how much of it, the addresses in use,
/// the instances waiting for a placement, and the tombstones. A create, a placement or a health round then costs
/// what it touches, not a pass over every instance in the fleet.
///
/// Every collection in it is a persistent hash tree (swift-collections' `TreeDictionary`/`TreeSet`): a reader's
/// snapshot of the registry shares all but the changed paths with the state the next event writes, so a write
/// while snapshots are held costs O(log n), not a copy of 100,000 records. Two tables are equal when they hold the
/// same records: the indexes follow from the records.
public struct InstanceTable: Sendable, Equatable {
    public private(set) var records: TreeDictionary<String, Versioned<Instance>> = [:]
    /// The live instances placed on each worker.
    private(set) var liveByWorker: TreeDictionary<String, TreeSet<String>> = [:]
    /// The resources the live instances on each worker hold.
    private(set) var allocationsByWorker: TreeDictionary<String, Allocation> = [:]
    /// Live instances with no worker yet that are not being deleted: the placement duty's input.
    private(set) var pendingIds: TreeSet<String> = []
    /// Deleted instances kept as tombstones.
    private(set) var tombstoneIds: TreeSet<String> = []
    /// Instances (live or not) whose `migratedFrom` names each worker: what that worker may still have to clean.
    private(set) var migratedFromByWorker: TreeDictionary<String, TreeSet<String>> = [:]
    /// Every record's key in listing order (creation millisecond, then id).
    private var creation = CreationIndex()
    /// Live instances of each kind.
    private var liveCounts: [InstanceKind: Int] = [:]
    /// How many live instances hold each address, per network (more than one only in a state the store's address
    /// keys forbid).
    private var addressHolders: TreeDictionary<String, TreeDictionary<IPv4Address, Int>> = [:]

    public init() {}

    public static func == (a: InstanceTable, b: InstanceTable) -> Bool { a.records == b.records }

    public subscript(id: String) -> Versioned<Instance>? {
        get { records[id] }
        set {
            let old = records[id]
            if let old { unindex(id, old.value) }
            records[id] = newValue
            if let new = newValue { index(id, new.value) }
            let (before, after) = (old.map { CreationKey($0.value) }, newValue.map { CreationKey($0.value) })
            if before != after {
                if let before { creation.remove(before) }
                if let after { creation.insert(after) }
            }
        }
    }

    // Views through the table's own `Collection` conformance, so that callers iterate with the standard library's
    // iterator and need not import the tree module.
    public var values: LazyMapCollection<InstanceTable, Versioned<Instance>> { lazy.map(\.value) }
    public var keys: LazyMapCollection<InstanceTable, String> { lazy.map(\.key) }
    public var count: Int { records.count }
    public var isEmpty: Bool { records.isEmpty }

    /// The addresses live instances hold, per network.
    public var addressesInUse: [String: Set<IPv4Address>] { addressesInUse(on: Set(addressHolders.keys)) }

    /// The addresses live instances hold on `networks` only (what a create choosing addresses there reads).
    public func addressesInUse(on networks: Set<String>) -> [String: Set<IPv4Address>] {
        var used: [String: Set<IPv4Address>] = [:]
        for network in networks {
            if let holders = addressHolders[network] { used[network] = Set(holders.keys) }
        }
        return used
    }

    /// The records in listing order, oldest first, after `key` (from the first when nil): a page reads what it
    /// shows and what its filter skips, not every record.
    public func oldestFirst(after key: CreationKey? = nil) -> some Sequence<Versioned<Instance>> {
        creation.ascending(after: key).lazy.compactMap { records[$0.id] }
    }

    /// The records in listing order, newest first.
    public func newestFirst() -> some Sequence<Versioned<Instance>> {
        creation.descending().lazy.compactMap { records[$0.id] }
    }

    /// How many live instances there are (of `kind`, when given).
    public func liveCount(kind: InstanceKind? = nil) -> Int {
        kind.map { liveCounts[$0] ?? 0 } ?? liveCounts.values.reduce(0, +)
    }

    /// The live instances on `worker`.
    public func live(onWorker worker: String) -> [Instance] {
        liveIds(onWorker: worker).compactMap { records[$0]?.value }
    }

    /// The ids of the live instances on `worker`.
    public func liveIds(onWorker worker: String) -> [String] { Array(liveByWorker[worker] ?? []) }

    /// The workers that hold at least one live instance.
    public var workersHoldingInstances: Set<String> { Set(liveByWorker.keys) }

    /// The resources the live instances on each worker hold (workers holding none are absent).
    public var allocations: [String: Allocation] { Dictionary(uniqueKeysWithValues: allocationsByWorker.lazy.map { ($0.key, $0.value) }) }

    /// The resources the live instances on `worker` hold.
    public func allocation(onWorker worker: String) -> Allocation { allocationsByWorker[worker] ?? Allocation() }

    /// The instances waiting for the placement duty (``awaitsPlacement(_:)``).
    public var pending: [Versioned<Instance>] { pendingIds.compactMap { records[$0] } }

    /// The deleted instances kept as tombstones.
    public var tombstones: [Versioned<Instance>] { tombstoneIds.compactMap { records[$0] } }

    /// The instances (live or tombstones) whose `migratedFrom` is `worker`.
    public func migrated(from worker: String) -> [Instance] {
        (migratedFromByWorker[worker] ?? []).compactMap { records[$0]?.value }
    }

    /// Whether an instance is waiting for the placement duty.
    public static func awaitsPlacement(_ instance: Instance) -> Bool {
        instance.state == .pending && instance.workerId == nil && instance.desired != .deleted
    }

    private mutating func index(_ id: String, _ instance: Instance) {
        if let from = instance.migratedFrom { migratedFromByWorker[from, default: []].insert(id) }
        guard instance.isLive else {
            tombstoneIds.insert(id)
            return
        }
        liveCounts[instance.kind, default: 0] += 1
        if Self.awaitsPlacement(instance) { pendingIds.insert(id) }
        if let worker = instance.workerId {
            liveByWorker[worker, default: []].insert(id)
            allocationsByWorker[worker, default: Allocation()].add(instance.spec.resources)
        }
        for (network, address) in Self.addresses(of: instance) {
            addressHolders[network, default: [:]][address, default: 0] += 1
        }
    }

    private mutating func unindex(_ id: String, _ instance: Instance) {
        if let from = instance.migratedFrom { Self.remove(id, under: from, in: &migratedFromByWorker) }
        guard instance.isLive else {
            tombstoneIds.remove(id)
            return
        }
        liveCounts[instance.kind, default: 0] -= 1
        pendingIds.remove(id)
        if let worker = instance.workerId {
            Self.remove(id, under: worker, in: &liveByWorker)
            if liveByWorker[worker] == nil {
                allocationsByWorker[worker] = nil
            } else {
                allocationsByWorker[worker]?.subtract(instance.spec.resources)
            }
        }
        for (network, address) in Self.addresses(of: instance) {
            let left = (addressHolders[network]?[address] ?? 1) - 1
            addressHolders[network]?[address] = left > 0 ? left : nil
            if addressHolders[network]?.isEmpty == true { addressHolders[network] = nil }
        }
    }

    private static func remove(_ id: String, under key: String, in index: inout TreeDictionary<String, TreeSet<String>>) {
        index[key]?.remove(id)
        if index[key]?.isEmpty == true { index[key] = nil }
    }

    private static func addresses(of instance: Instance) -> [(String, IPv4Address)] {
        (instance.spec.config.networks ?? []).compactMap { interface in interface.address.map { (interface.network, $0) } }
    }
}

extension InstanceTable: Collection {
    public typealias Index = TreeDictionary<String, Versioned<Instance>>.Index
    public typealias Element = TreeDictionary<String, Versioned<Instance>>.Element
    public var startIndex: Index { records.startIndex }
    public var endIndex: Index { records.endIndex }
    public func index(after i: Index) -> Index { records.index(after: i) }
    public subscript(position: Index) -> Element { records[position] }
}
