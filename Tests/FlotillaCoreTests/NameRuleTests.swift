import FlotillaCore
import Testing

/// ``NameRule``: one rule for every kind of name, measured in UTF-8 bytes. Each row is a name, a byte cap and
/// what the rule must answer: nil when accepted, else a phrase of the message.
@Suite struct NameRuleTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var label: String
        var name: String
        var maxBytes: Int
        var says: String?
        var testDescription: String { "\(label) (\(name.utf8.count) bytes, cap \(maxBytes)): \(says ?? "accepted")" }

        init(_ label: String, _ name: String, maxBytes: Int = 63, _ says: String? = nil) {
            self.label = label
            self.name = name
            self.maxBytes = maxBytes
            self.says = says
        }
    }

    /// "z" and 520,000 combining acute accents: one Character, 1,040,001 bytes.
    static let combining = "z" + String(repeating: "\u{301}", count: 520_000)
    /// Four bytes each in UTF-8.
    static let thumbs = "\u{1F44D}"

    static let rows: [Row] = [
        Row("plain", "web-1"),
        Row("dots and underscores", "m1.small_2"),
        Row("inner spaces and capitals", "Extra Large"),
        Row("other scripts", "caf\u{e9}-\u{65E5}\u{672C}"),
        Row("one byte", "a"),
        Row("exactly the cap", String(repeating: "a", count: 63)),
        Row("one byte over the cap", String(repeating: "a", count: 64), "at most 63 bytes"),
        Row("emoji filling the cap", "abc" + String(repeating: thumbs, count: 15)),
        Row("emoji one byte over", "abcd" + String(repeating: thumbs, count: 15), "at most 63 bytes"),
        Row("emoji cut at a cap inside it", "ab" + thumbs, maxBytes: 5, "at most 5 bytes"),
        Row("an emoji family (one Character, 18 bytes)", "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}"),
        Row("a few combining marks", "z\u{301}\u{302}"),
        Row("one Character of a megabyte", combining, maxBytes: 255, "at most 255 bytes"),
        Row("empty", "", "must not be empty"),
        Row("only spaces", "   ", "must not be blank"),
        Row("only an ideographic space", "\u{3000}", "must not be blank"),
        Row("leading space", " web", "begin or end with whitespace"),
        Row("trailing space", "web ", "begin or end with whitespace"),
        Row("trailing no-break space", "web\u{A0}", "begin or end with whitespace"),
        Row("NUL", "a\u{0}b", "control characters"),
        Row("NUL alone", "\u{0}", "control characters"),
        Row("newline", "a\nb", "control characters"),
        Row("trailing newline", "web\n", "control characters"),
        Row("tab", "a\tb", "control characters"),
        Row("DEL", "a\u{7F}", "control characters"),
        Row("C1 next line", "a\u{85}b", "control characters"),
        Row("line separator", "a\u{2028}b", "control characters"),
        Row("slash", "a/b", "'/'"),
    ]

    @Test(arguments: rows)
    func rule(_ row: Row) {
        do {
            let accepted = try NameRule.check(row.name, field: "thing.name", maxBytes: row.maxBytes)
            #expect(row.says == nil, "accepted, expected: \(row.says ?? "")")
            #expect(accepted == row.name)
        } catch {
            guard let says = row.says else {
                Issue.record("refused: \(error.message)")
                return
            }
            #expect(error.code == .validationError)
            #expect(error.details["field"] == .string("thing.name"))
            #expect(error.message.hasPrefix("thing.name "), "\(error.message)")
            #expect(error.message.contains(says), "\(error.message)")
            #expect(error.message.utf8.count < 200, "the message never repeats the input")
        }
    }

    @Test("the default cap is 63 bytes and the default field is name")
    func defaults() throws {
        #expect(try NameRule.check(String(repeating: "k", count: 63)) == String(repeating: "k", count: 63))
        #expect(throws: FlotillaError.validation("name must be at most 63 bytes in UTF-8 (got 64)", field: "name")) {
            try NameRule.check(String(repeating: "k", count: 64))
        }
    }

    @Test("each kind has its byte cap; a namespace also refuses ':'")
    func kinds() throws {
        for kind in NameRule.Kind.allCases {
            let fits = String(repeating: "n", count: kind.maxBytes)
            #expect(try NameRule.check(fits, kind: kind) == fits, "\(kind)")
            #expect(throws: FlotillaError.self, "\(kind)") { try NameRule.check(fits + "n", kind: kind) }
            #expect(throws: FlotillaError.self, "\(kind)") { try NameRule.check(Self.combining, kind: kind) }
        }
        #expect(NameRule.Kind.instance.maxBytes == 255)
        #expect(NameRule.Kind.key.maxBytes == 63)
        #expect(try NameRule.check("a:b", kind: .microVM) == "a:b")
        #expect(throws: FlotillaError.validation("microvm.namespace must not contain ':'", field: "microvm.namespace")) {
            try NameRule.check("team:a", kind: .namespace, field: "microvm.namespace")
        }
    }
}
