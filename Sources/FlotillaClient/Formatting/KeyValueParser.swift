/// `KEY=VALUE` arguments (`--label`, `--env`).
public enum KeyValueParser {
    /// Splits at the first `=`. The key must be non-empty; the value may be empty or contain `=`.
    ///
    /// - Parameter what: what the pair is, for the message (`label`, `environment variable`).
    public static func parse(_ text: String, what: String = "label") throws -> (key: String, value: String) {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
            throw InvalidInput("invalid \(what) '\(text)': expected KEY=VALUE")
        }
        return (String(text[..<equals]), String(text[text.index(after: equals)...]))
    }

    /// Parses each pair into a dictionary; a key given twice is an error.
    public static func parseAll(_ texts: [String], what: String = "label") throws -> [String: String] {
        var result: [String: String] = [:]
        for text in texts {
            let (key, value) = try parse(text, what: what)
            guard result[key] == nil else {
                throw InvalidInput("\(what) '\(key)' is given more than once")
            }
            result[key] = value
        }
        return result
    }
}
