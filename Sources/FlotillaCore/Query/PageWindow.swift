/// One page of a listing that is already in order (``InstanceTable/newestFirst()``): the items at
/// `offset ..< offset + count`, and how many there are in all. With `knownTotal` (an unfiltered listing: the
/// registry counts its live instances) the walk stops at the page's end, so a page of 100 costs about 100 reads
/// at any size; a filtered listing walks on to count its matches (measured by `flotilla-bench registry`).
public enum PageWindow {
    public static func select<Element>(
        _ ordered: some Sequence<Element>, offset: Int, count: Int, knownTotal: Int? = nil
    ) -> (items: [Element], total: Int) {
        let (start, end) = (max(offset, 0), max(offset, 0) + max(count, 0))
        var items: [Element] = []
        var seen = 0
        for item in ordered {
            if seen >= end, let knownTotal { return (items, knownTotal) }
            if seen >= start && seen < end { items.append(item) }
            seen += 1
        }
        return (items, seen)
    }
}
