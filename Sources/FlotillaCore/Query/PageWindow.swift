public import Foundation
import HeapModule

/// One page of a listing without sorting everything: a single pass keeps the first `offset + count` items in a
/// bounded heap (O(n log(offset + count)) instead of O(n log n)), so that a page of 100 from 100,000 instances
/// costs one read of each (issue 19; measured by `flotilla-bench registry`).
public enum PageWindow {
    /// The items at positions `offset ..< offset + count` of `items` ordered by `key` (ascending, or descending
    /// when `descending`), and how many items there are in all.
    public static func select<Element, Key: Comparable>(
        _ items: some Sequence<Element>, offset: Int, count: Int, descending: Bool = false, key: (Element) -> Key
    ) -> (items: [Element], total: Int) {
        let keep = max(offset, 0) + max(count, 0)
        var kept = Heap<Entry<Key, Element>>()
        var total = 0
        for item in items {
            total += 1
            guard keep > 0 else { continue }
            let entry = Entry(key: key(item), descending: descending, element: item)
            if kept.count < keep {
                kept.insert(entry)
            } else if let last = kept.max, entry < last {
                _ = kept.replaceMax(with: entry)
            }
        }
        var ordered: [Element] = []
        ordered.reserveCapacity(kept.count)
        while let entry = kept.popMin() { ordered.append(entry.element) }
        return (Array(ordered.dropFirst(max(offset, 0))), total)
    }

    /// An item with its key, ordered by the key in the direction asked.
    struct Entry<Key: Comparable, Element>: Comparable {
        let key: Key
        let descending: Bool
        let element: Element

        static func < (a: Entry, b: Entry) -> Bool { a.descending ? b.key < a.key : a.key < b.key }
        static func == (a: Entry, b: Entry) -> Bool { a.key == b.key }
    }
}

/// The order listings show instances in: by creation time, ties by id.
public struct CreationOrder: Comparable, Sendable {
    public let createdAt: Date
    public let id: String

    public init(_ instance: Instance) {
        createdAt = instance.createdAt
        id = instance.id
    }

    public static func < (a: CreationOrder, b: CreationOrder) -> Bool { (a.createdAt, a.id) < (b.createdAt, b.id) }
}
