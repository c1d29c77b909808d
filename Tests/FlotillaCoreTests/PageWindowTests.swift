import FlotillaCore
import Testing

/// `PageWindow.select` gives what sorting everything and slicing gives: the same items in the same order and the
/// same total, for every offset and count, ascending and descending, with ties broken as the key says.
@Suite struct PageWindowTests {
    struct Row: Sendable, CustomTestStringConvertible {
        let offset: Int
        let count: Int
        let descending: Bool
        var testDescription: String { "offset \(offset), count \(count), \(descending ? "descending" : "ascending")" }
    }

    static let rows: [Row] = [0, 1, 7, 99, 100, 150].flatMap { offset in
        [0, 1, 10, 100].flatMap { count in [false, true].map { Row(offset: offset, count: count, descending: $0) } }
    }

    @Test(arguments: rows)
    func selectsWhatSortingAndSlicingSelects(_ row: Row) {
        var random = SplitMix64(seed: UInt64(row.offset * 1000 + row.count))
        // Keys with many ties on the first part, told apart by the second, as creation times and ids are.
        let items = (0..<120).map { n in Item(time: Int.random(in: 0..<20, using: &random), id: "i\(n)") }
        let (page, total) = PageWindow.select(items, offset: row.offset, count: row.count, descending: row.descending) { $0 }
        let sorted = row.descending ? items.sorted(by: >) : items.sorted()
        let expected = Array(sorted.dropFirst(row.offset).prefix(row.count))
        #expect(page == expected)
        #expect(total == items.count)
    }

    @Test func anEmptyListingHasNoPageAndNoTotal() {
        let (page, total) = PageWindow.select([Item](), offset: 0, count: 10) { $0 }
        #expect(page.isEmpty && total == 0)
    }

    struct Item: Comparable {
        let time: Int
        let id: String
        static func < (a: Item, b: Item) -> Bool { (a.time, a.id) < (b.time, b.id) }
    }
}
