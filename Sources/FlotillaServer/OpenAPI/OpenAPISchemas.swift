import FlotillaCore

/// The component schemas of `/openapi.json`, one group per surface (`OpenAPISchemas+<Surface>.swift`), written
/// from the wire types in `FlotillaAPI`. How a wire type encodes decides its schema: a field a custom
/// `encode(to:)` always writes is `required` and, when optional, `null`-able; an optional field of a
/// synthesized `Codable` is left out when nil, so it is not `required` and never `null`. Objects whose keys the
/// wire type fixes are closed (`additionalProperties: false`), so a new field fails the schema check until it is
/// documented.
enum OpenAPISchemas {
    static let all: [String: JSONValue] = errors.merging(compute) { a, _ in a }.merging(vms) { a, _ in a }
        .merging(workers) { a, _ in a }.merging(global) { a, _ in a }.merging(flintlock) { a, _ in a }
        .merging(audit) { a, _ in a }.merging(logs) { a, _ in a }
        .merging(metrics) { a, _ in a }.merging(networks) { a, _ in a }
        .merging(snapshots) { a, _ in a }
        .merging(migration) { a, _ in a }

    /// A closed object: `required` fields always present, `optional` ones may be left out.
    static func object(_ required: [String: JSONValue], optional: [String: JSONValue] = [:]) -> JSONValue {
        var o: [String: JSONValue] = [
            "type": "object", "properties": .object(required.merging(optional) { a, _ in a }),
            "additionalProperties": false,
        ]
        if !required.isEmpty { o["required"] = .array(required.keys.sorted().map { .string($0) }) }
        return .object(o)
    }

    static let string: JSONValue = .object(["type": "string"])
    static let integer: JSONValue = .object(["type": "integer"])
    static let number: JSONValue = .object(["type": "number"])
    static let boolean: JSONValue = .object(["type": "boolean"])
    static let dateTime: JSONValue = .object(["type": "string", "format": "date-time"])
    /// An IPv4 address, dotted quad (docs/decisions/0025-vm-networks.md).
    static let ipv4: JSONValue = .object(["type": "string", "format": "ipv4"])
    /// Any JSON value.
    static let any: JSONValue = .object([:])
    /// An object of strings (labels, metadata).
    static let stringMap: JSONValue = map(string)
    static let stringArray: JSONValue = array(string)

    static func map(_ values: JSONValue) -> JSONValue { .object(["type": "object", "additionalProperties": values]) }
    static func array(_ items: JSONValue) -> JSONValue { .object(["type": "array", "items": items]) }
    static func ref(_ name: String) -> JSONValue { .object(["$ref": .string("#/components/schemas/\(name)")]) }
    static func oneOf(_ values: [String]) -> JSONValue { .object(["type": "string", "enum": .array(values.map { .string($0) })]) }

    /// `schema` or `null`: a second type for a plain schema, `anyOf` for anything else.
    static func orNull(_ schema: JSONValue) -> JSONValue {
        guard case .object(var o) = schema, case .string(let type)? = o["type"] else {
            return .object(["anyOf": .array([schema, .object(["type": "null"])])])
        }
        o["type"] = .array([.string(type), "null"])
        if case .array(let values)? = o["enum"] { o["enum"] = .array(values + [.null]) }
        return .object(o)
    }

    /// A name of `kind` (NameRule, docs/decisions/0015-names-and-text-limits.md): 1 to `maxBytes` UTF-8 bytes (JSON
    /// Schema counts characters, so `maxLength` is the byte cap, reached by ASCII names), no control character, line
    /// separator or `/`, no whitespace at either end.
    static func name(_ kind: NameRule.Kind) -> JSONValue {
        let bad = #"\x00-\x1f\x7f-\x9f\u2028\u2029/"#
        var o: [String: JSONValue] = [
            "type": "string", "minLength": 1, "maxLength": .int(Int64(kind.maxBytes)),
            "pattern": .string("^[^\\s\(bad)]([^\(bad)]*[^\\s\(bad)])?$"),
            "description": .string("1 to \(kind.maxBytes) bytes in UTF-8; no control character or '/'; no surrounding whitespace"),
        ]
        if kind == .namespace { o["pattern"] = .string("^[^\\s:\(bad)]([^:\(bad)]*[^\\s:\(bad)])?$") }
        return .object(o)
    }

    /// An integer schema with bounds.
    static func integer(_ range: ClosedRange<Int64>) -> JSONValue {
        .object(["type": "integer", "minimum": .int(range.lowerBound), "maximum": .int(range.upperBound)])
    }

    /// A string schema with length bounds (in characters, as JSON Schema counts them).
    static func string(minLength: Int64 = 0, maxLength: Int64? = nil, pattern: String? = nil) -> JSONValue {
        var o: [String: JSONValue] = ["type": "string"]
        if minLength > 0 { o["minLength"] = .int(minLength) }
        if let maxLength { o["maxLength"] = .int(maxLength) }
        if let pattern { o["pattern"] = .string(pattern) }
        return .object(o)
    }
}
