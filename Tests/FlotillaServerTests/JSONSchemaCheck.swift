import FlotillaCore
import Foundation

/// Checks a JSON value against the JSON Schema subset `/openapi.json` uses (`$ref`, `type`, `properties`,
/// `required`, `additionalProperties`, `items`, `enum`, `anyOf`, `oneOf`, `minimum`, `maximum`, `minLength`,
/// `maxLength`, `format: date-time`), so that a test can hold a live response to its documented schema.
struct JSONSchemaCheck {
    /// `components.schemas` of the document, for `$ref`.
    let components: [String: JSONValue]

    /// Every mismatch, each with the JSON path where it is; empty when `value` conforms.
    func problems(_ value: JSONValue, _ schema: JSONValue, at path: String = "$") -> [String] {
        guard case .object(let s) = schema else { return [] }
        if case .string(let ref)? = s["$ref"] {
            guard let target = components[String(ref.split(separator: "/").last ?? "")] else { return ["\(path): unknown \(ref)"] }
            return problems(value, target, at: path)
        }
        if case .array(let options)? = s["anyOf"] {
            if !options.contains(where: { problems(value, $0, at: path).isEmpty }) { return ["\(path): matches no anyOf"] }
        }
        if case .array(let options)? = s["oneOf"] {
            let matching = options.filter { problems(value, $0, at: path).isEmpty }.count
            if matching != 1 { return ["\(path): matches \(matching) of oneOf"] }
        }
        if let type = s["type"], !Self.types(of: type).contains(where: { Self.value(value, is: $0) }) {
            return ["\(path): \(Self.describe(value)) is not \(Self.types(of: type).joined(separator: " or "))"]
        }
        if case .array(let allowed)? = s["enum"], !allowed.contains(where: { Self.equal($0, value) }) {
            return ["\(path): \(Self.describe(value)) is not in the enum"]
        }
        var found: [String] = []
        switch value {
        case .object(let o):
            let properties = s["properties"]?.schemaObject ?? [:]
            if case .array(let required)? = s["required"] {
                for case .string(let key) in required where o[key] == nil { found.append("\(path).\(key): missing") }
            }
            for (key, item) in o {
                if let p = properties[key] {
                    found += problems(item, p, at: "\(path).\(key)")
                } else if s["additionalProperties"] == .bool(false) {
                    found.append("\(path).\(key): not documented")
                } else if let extra = s["additionalProperties"], extra != .bool(true) {
                    found += problems(item, extra, at: "\(path).\(key)")
                }
            }
        case .array(let items):
            if let itemSchema = s["items"] {
                for (i, item) in items.enumerated() { found += problems(item, itemSchema, at: "\(path)[\(i)]") }
            }
        case .string(let text):
            if case .int(let min)? = s["minLength"], text.count < min { found.append("\(path): shorter than \(min)") }
            if case .int(let max)? = s["maxLength"], text.count > max { found.append("\(path): longer than \(max)") }
            if s["format"] == .string("date-time"), ISO8601DateFormatter().date(from: text) == nil,
                Self.fractional.date(from: text) == nil
            {
                found.append("\(path): \(text) is not a date-time")
            }
        case .int, .double:
            let n = Self.number(value) ?? 0
            if let min = s["minimum"].flatMap(Self.number), n < min { found.append("\(path): below \(min)") }
            if let max = s["maximum"].flatMap(Self.number), n > max { found.append("\(path): above \(max)") }
        case .bool, .null: break
        }
        return found
    }

    /// Where the object keys of `value` and its schema's `properties` differ: a key sent but not documented, or
    /// documented but not sent. `value` is a sample with every optional field set, so it sends every key its type
    /// has. Objects whose schema takes further keys (`additionalProperties` a schema: maps, metadata) are not
    /// compared, only their values are.
    func keyProblems(_ value: JSONValue, _ schema: JSONValue, at path: String = "$") -> [String] {
        guard case .object(let s) = schema else { return [] }
        if case .string(let ref)? = s["$ref"] {
            guard let target = components[String(ref.split(separator: "/").last ?? "")] else { return ["\(path): unknown \(ref)"] }
            return keyProblems(value, target, at: path)
        }
        if case .array(let options)? = s["anyOf"] ?? s["oneOf"] {
            // The option the value is an instance of.
            let fitting = options.filter { problems(value, $0, at: path).isEmpty }
            return fitting.map { keyProblems(value, $0, at: path) }.min { $0.count < $1.count } ?? ["\(path): matches no option"]
        }
        var found: [String] = []
        switch value {
        case .object(let o):
            let properties = s["properties"]?.schemaObject ?? [:]
            let extra = s["additionalProperties"]?.schemaObject
            if extra == nil {
                let (sent, documented) = (Set(o.keys), Set(properties.keys))
                found += sent.subtracting(documented).sorted().map { "\(path).\($0): sent, not documented" }
                found += documented.subtracting(sent).sorted().map { "\(path).\($0): documented, never sent" }
            }
            for (key, item) in o {
                if let p = properties[key] ?? extra.map(JSONValue.object) { found += keyProblems(item, p, at: "\(path).\(key)") }
            }
        case .array(let items):
            if let itemSchema = s["items"] {
                for (i, item) in items.enumerated() { found += keyProblems(item, itemSchema, at: "\(path)[\(i)]") }
            }
        default: break
        }
        return found
    }

    nonisolated(unsafe) private static let fractional: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }()

    static func types(of type: JSONValue) -> [String] {
        switch type {
        case .string(let t): return [t]
        case .array(let list): return list.compactMap(\.stringValue)
        default: return []
        }
    }

    static func value(_ value: JSONValue, is type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null): return true
        case ("integer", .int): return true
        case ("integer", .double(let d)): return d.rounded() == d
        case ("number", .int), ("number", .double): return true
        default: return false
        }
    }

    static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = number(a), let y = number(b) { return x == y }
        return a == b
    }

    static func describe(_ value: JSONValue) -> String {
        let data = (try? JSONEncoder().encode(value)) ?? Data()
        return String(decoding: data.prefix(120), as: UTF8.self)
    }
}

extension JSONValue {
    fileprivate var schemaObject: [String: JSONValue]? {
        if case .object(let o) = self { return o }
        return nil
    }
}
