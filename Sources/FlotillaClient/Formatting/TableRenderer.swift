/// Left-aligned text columns, as `docker ps` or `kubectl get` print them.
public struct TableRenderer: Sendable, Equatable {
    public var headers: [String]
    public var rows: [[String]]
    /// Spaces between columns.
    public var gap: Int

    public init(headers: [String], rows: [[String]], gap: Int = 3) {
        self.headers = headers
        self.rows = rows
        self.gap = gap
    }

    /// The header line and one line per row, each ending in a newline. Cells are padded to their
    /// column's widest cell; the last column is not padded, so no line has trailing spaces.
    /// A row with fewer cells than headers is filled with empty cells; extra cells are dropped.
    /// Line breaks and tabs inside a cell are shown as spaces so a row stays on one line.
    public func render() -> String {
        let columns = headers.count
        guard columns > 0 else { return "" }
        let lines = ([headers] + rows).map { row in
            (0..<columns).map { index in
                index < row.count ? Self.flatten(row[index]) : ""
            }
        }
        var widths = [Int](repeating: 0, count: columns)
        for line in lines {
            for (index, cell) in line.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        var out = ""
        for line in lines {
            var text = ""
            for (index, cell) in line.enumerated() {
                text += cell
                if index < columns - 1 {
                    text += String(repeating: " ", count: widths[index] - cell.count + gap)
                }
            }
            while text.last == " " { text.removeLast() }
            out += text + "\n"
        }
        return out
    }

    /// `key: value` lines with the values aligned, for one record.
    public static func keyValueLines(_ pairs: [(String, String)]) -> String {
        let width = pairs.map { $0.0.count }.max() ?? 0
        return pairs.map { key, value in
            let line = key + ":" + String(repeating: " ", count: width - key.count + 1) + flatten(value)
            return line.hasSuffix(" ") ? String(line.reversed().drop { $0 == " " }.reversed()) : line
        }.map { $0 + "\n" }.joined()
    }

    static func flatten(_ cell: String) -> String {
        String(cell.map { $0 == "\n" || $0 == "\r" || $0 == "\t" || $0 == "\r\n" ? " " : $0 })
    }
}
