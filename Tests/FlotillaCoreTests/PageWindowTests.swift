import FlotillaCore
import Testing

/// `PageWindow.select` over a listing in order gives what slicing gives, for every offset and count; with a known
/// total it answers that total, and without one it counts every item.
@Suite struct PageWindowTests {
    struct Row: Sendable, CustomTestStringConvertible {
        let offset: Int
        let count: Int
        let knowsTotal: Bool
        var testDescription: String { "offset \(offset), count \(count), \(knowsTotal ? "known total" : "counted")" }
    }

    static let rows: [Row] = [0, 1, 7, 99, 100, 150].flatMap { offset in
        [0, 1, 10, 100].flatMap { count in [false, true].map { Row(offset: offset, count: count, knowsTotal: $0) } }
    }

    @Test(arguments: rows)
    func selectsWhatSlicingSelects(_ row: Row) {
        let items = (0..<120).map { "i\($0)" }
        let (page, total) = PageWindow.select(items, offset: row.offset, count: row.count, knownTotal: row.knowsTotal ? 120 : nil)
        #expect(page == Array(items.dropFirst(row.offset).prefix(row.count)))
        #expect(total == 120)
    }

    @Test("with a known total the walk stops at the page's end; without one it reads every item")
    func stopsAtThePageEndWhenTheTotalIsKnown() {
        var read = 0
        let counting = (0..<10_000).lazy.map { n in
            read += 1
            return n
        }
        _ = PageWindow.select(counting, offset: 200, count: 100, knownTotal: 10_000)
        #expect(read == 301, "the page's 300 and one more to see the end")
        read = 0
        _ = PageWindow.select(counting, offset: 200, count: 100)
        #expect(read == 10_000)
    }

    @Test func anEmptyListingHasNoPageAndNoTotal() {
        let (page, total) = PageWindow.select([String](), offset: 0, count: 10)
        #expect(page.isEmpty && total == 0)
    }
}
