public import HashTreeCollections

/// A dictionary the registry can snapshot for free: a persistent hash tree (swift-collections' `TreeDictionary`),
/// so a write while a reader holds a copy copies only the path to the changed entry, not every entry
/// (docs/decisions/0032-registry-indexes.md). Reads and writes look like a `Dictionary`'s; iteration uses the
/// standard library's iterator, so callers need not import the tree module.
public struct PersistentMap<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private var tree: TreeDictionary<Key, Value> = [:]

    public init() {}

    public subscript(key: Key) -> Value? {
        get { tree[key] }
        set { tree[key] = newValue }
    }

    public var values: LazyMapCollection<PersistentMap, Value> { lazy.map(\.value) }
    public var keys: LazyMapCollection<PersistentMap, Key> { lazy.map(\.key) }
    public var count: Int { tree.count }
    public var isEmpty: Bool { tree.isEmpty }

    /// A plain dictionary of the transformed values.
    public func mapValues<T>(_ transform: (Value) throws -> T) rethrows -> [Key: T] {
        var result: [Key: T] = [:]
        result.reserveCapacity(tree.count)
        for (key, value) in tree { result[key] = try transform(value) }
        return result
    }

    @discardableResult
    public mutating func removeValue(forKey key: Key) -> Value? { tree.removeValue(forKey: key) }
}

extension PersistentMap: Collection {
    public typealias Index = TreeDictionary<Key, Value>.Index
    public typealias Element = TreeDictionary<Key, Value>.Element
    public var startIndex: Index { tree.startIndex }
    public var endIndex: Index { tree.endIndex }
    public func index(after i: Index) -> Index { tree.index(after: i) }
    public subscript(position: Index) -> Element { tree[position] }
}

extension PersistentMap: Equatable where Value: Equatable {
    public static func == (a: PersistentMap, b: PersistentMap) -> Bool { a.tree == b.tree }
}

extension PersistentMap: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (Key, Value)...) {
        for (key, value) in elements { tree[key] = value }
    }
}
