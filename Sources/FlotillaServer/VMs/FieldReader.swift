import FlotillaAPI
import FlotillaCore
import Foundation
import Hummingbird
import NIOFoundationCompat

/// Reads the fields of a JSON body or a query string and collects every failure the way FastAPI (pydantic)
/// reports them, so that surface C's 422 names each bad field: `type`, `loc`, `msg`, `input`.
/// `null` counts as absent for optional fields.
struct FieldReader {
    /// `body` or `query`.
    let location: String
    let object: [String: JSONValue]
    /// The whole input, shown as `input` of a missing field (as pydantic does).
    let whole: JSONValue
    private(set) var issues: [VMs.ValidationIssue] = []

    init(location: String, object: [String: JSONValue]) {
        self.location = location
        self.object = object
        self.whole = .object(object)
    }

    /// The query parameters of a request (the last value of a repeated one).
    init(query request: Request) {
        var fields: [String: JSONValue] = [:]
        for (k, v) in request.uri.queryParameters { fields[String(k)] = .string(String(v)) }
        self.init(location: "query", object: fields)
    }

    /// Reads a JSON object body. A missing body is `missing` unless `optional` (then it reads as `{}`);
    /// malformed JSON is `json_invalid`; anything but an object is `model_attributes_type`.
    static func body(_ request: Request, context: FlotillaRequestContext, optional: Bool = false) async throws -> FieldReader {
        let buffer = try await request.collectLimitedBody(context: context)
        let blank = buffer.readableBytesView.allSatisfy { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        if buffer.readableBytes == 0 || blank {
            if optional { return FieldReader(location: "body", object: [:]) }
            throw RequestValidationError.missing(at: ["body"])
        }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(buffer: buffer))
        } catch {
            throw RequestValidationError(type: .jsonInvalid, loc: ["body"], msg: "JSON decode error", input: .object([:]))
        }
        guard case .object(let object) = value else {
            throw RequestValidationError(
                type: .modelAttributesType, loc: ["body"],
                msg: "Input should be a valid dictionary or object to extract fields from", input: value)
        }
        return FieldReader(location: "body", object: object)
    }

    mutating func fail(_ type: VMs.IssueType, _ path: [String], _ msg: String, input: JSONValue) {
        fail(VMs.ValidationIssue(type: type, loc: [], msg: msg, input: input), at: path)
    }

    /// Notes `issue` (one this reader or another found) at `path` of this reader's location.
    mutating func fail(_ issue: VMs.ValidationIssue, at path: [String]) {
        var issue = issue
        issue.loc = [.string(location)] + path.map { .string($0) }
        issues.append(issue)
    }

    /// The value of `key`, or nil (noting `missing` when `required`).
    private mutating func value(_ key: String, required: Bool) -> JSONValue? {
        switch object[key] {
        case nil, .null?:
            if required { fail(.missing, [key], VMs.IssueType.fieldRequired, input: object[key] == nil ? whole : .null) }
            return nil
        case let v?: return v
        }
    }

    /// A string of `minLength` to `maxLength` characters as pydantic counts them (Unicode code points) and, since
    /// one character can be a megabyte of combining marks, of at most `maxLength` UTF-8 bytes as well. NUL is
    /// refused everywhere (docs/decisions/0015-names-and-text-limits.md).
    mutating func string(_ key: String, required: Bool = false, minLength: Int = 0, maxLength: Int? = nil) -> String? {
        guard let v = value(key, required: required) else { return nil }
        guard case .string(let s) = v else {
            fail(.stringType, [key], VMs.IssueType.validString, input: v)
            return nil
        }
        return checked(s, [key], input: v, minLength: minLength, maxLength: maxLength)
    }

    /// A single-line string: ``string(_:required:minLength:maxLength:)`` without control characters.
    mutating func line(_ key: String, required: Bool = false, minLength: Int = 0, maxLength: Int) -> String? {
        guard let s = string(key, required: required, minLength: minLength, maxLength: maxLength) else { return nil }
        if let problem = TextLimit.problem(s, maxBytes: maxLength) {
            fail(.valueError, [key], "Value error, \(problem)", input: .string(s))
            return nil
        }
        return s
    }

    /// A name of `kind`: at most its byte cap, and ``NameRule``'s characters.
    mutating func name(_ key: String, kind: NameRule.Kind, required: Bool = false) -> String? {
        guard let s = string(key, required: required, minLength: 1, maxLength: kind.maxBytes) else { return nil }
        if let problem = NameRule.problem(s, maxBytes: kind.maxBytes) {
            fail(.valueError, [key], "Value error, \(key) \(problem)", input: .string(s))
            return nil
        }
        return s
    }

    /// The length checks of every string. Like pydantic, an issue shows the input whole (it came in this
    /// request's body, which has its own size limit).
    private mutating func checked(_ s: String, _ path: [String], input v: JSONValue, minLength: Int, maxLength: Int?) -> String? {
        let codePoints = s.unicodeScalars.count
        if codePoints < minLength {
            fail(.stringTooShort, path, "String should have at least \(Self.count(minLength, "character"))", input: v)
            return nil
        }
        if let maxLength, codePoints > maxLength {
            fail(.stringTooLong, path, "String should have at most \(Self.count(maxLength, "character"))", input: v)
            return nil
        }
        if let maxLength, s.utf8.count > maxLength {
            fail(.stringTooLong, path, "String should have at most \(Self.count(maxLength, "byte")) in UTF-8", input: .string(s))
            return nil
        }
        if s.utf8.contains(0) {
            fail(.valueError, path, "Value error, must not contain NUL", input: .string(s))
            return nil
        }
        return s
    }

    /// An integer within `range`. Strings holding an integer are accepted (pydantic's lax mode); query values
    /// are always strings.
    mutating func integer(_ key: String, required: Bool = false, range: ClosedRange<Int64>) -> Int64? {
        guard let v = value(key, required: required) else { return nil }
        let n: Int64
        switch v {
        case .int(let i): n = i
        case .double(let d) where d.rounded() == d && abs(d) < 9.0e18: n = Int64(d)
        case .double:
            fail(.intFromFloat, [key], "Input should be a valid integer, got a number with a fractional part", input: v)
            return nil
        case .string(let s):
            guard let parsed = Int64(s.trimmingCharacters(in: .whitespaces)) else {
                fail(.intParsing, [key], "Input should be a valid integer, unable to parse string as an integer", input: v)
                return nil
            }
            n = parsed
        default:
            fail(.intType, [key], "Input should be a valid integer", input: v)
            return nil
        }
        if n < range.lowerBound {
            fail(.greaterThanEqual, [key], "Input should be greater than or equal to \(range.lowerBound)", input: v)
            return nil
        }
        if n > range.upperBound {
            fail(.lessThanEqual, [key], "Input should be less than or equal to \(range.upperBound)", input: v)
            return nil
        }
        return n
    }

    mutating func bool(_ key: String) -> Bool? {
        guard let v = value(key, required: false) else { return nil }
        switch v {
        case .bool(let b): return b
        case .string(let s) where ["true", "1", "yes", "on"].contains(s.lowercased()): return true
        case .string(let s) where ["false", "0", "no", "off"].contains(s.lowercased()): return false
        default:
            fail(.boolType, [key], "Input should be a valid boolean", input: v)
            return nil
        }
    }

    /// One of `allowed`, exactly.
    mutating func choice(_ key: String, _ allowed: [String], required: Bool = false) -> String? {
        guard let v = value(key, required: required) else { return nil }
        guard case .string(let s) = v, allowed.contains(s) else {
            fail(.enumeration, [key], "Input should be \(Self.alternatives(allowed))", input: v)
            return nil
        }
        return s
    }

    /// A list of at most `maxCount` single-line strings of at most `maxLength` bytes each.
    mutating func strings(_ key: String, maxLength: Int = 255, maxCount: Int = 64) -> [String]? {
        guard let v = value(key, required: false) else { return nil }
        guard case .array(let items) = v else {
            fail(.listType, [key], "Input should be a valid list", input: v)
            return nil
        }
        if items.count > maxCount {
            fail(
                .tooLong, [key], "List should have at most \(Self.count(maxCount, "item")) after validation, not \(items.count)",
                input: .null)
            return nil
        }
        var result: [String] = []
        for (i, item) in items.enumerated() {
            let path: [JSONValue] = [.string(location), .string(key), .int(Int64(i))]
            guard case .string(let s) = item else {
                issues.append(.init(type: .stringType, loc: path, msg: VMs.IssueType.validString, input: item))
                continue
            }
            if let problem = TextLimit.problem(s, maxBytes: maxLength) {
                issues.append(.init(type: .valueError, loc: path, msg: "Value error, \(problem)", input: .string(s)))
                continue
            }
            result.append(s)
        }
        return result
    }

    /// An object of at most `maxCount` strings (numbers and booleans are taken as their JSON text); keys and
    /// values single-line, keys 1 to `maxLength` bytes, values at most `maxLength` bytes.
    mutating func stringMap(_ key: String, maxLength: Int = 255, maxCount: Int = 128) -> [String: String]? {
        guard let v = value(key, required: false) else { return nil }
        guard case .object(let fields) = v else {
            fail(.dictType, [key], "Input should be a valid dictionary", input: v)
            return nil
        }
        if fields.count > maxCount {
            fail(.tooLong, [key], "Dictionary should have at most \(Self.count(maxCount, "item")), not \(fields.count)", input: .null)
            return nil
        }
        var result: [String: String] = [:]
        for (k, item) in fields.sorted(by: { $0.key < $1.key }) {
            if let problem = k.isEmpty ? "keys must not be empty" : TextLimit.problem(k, maxBytes: maxLength) {
                fail(.valueError, [key, k], "Value error, \(problem)", input: .string(k))
                continue
            }
            let text: String
            switch item {
            case .string(let s): text = s
            case .int(let i): text = String(i)
            case .double(let d): text = String(d)
            case .bool(let b): text = String(b)
            default:
                fail(.stringType, [key, k], VMs.IssueType.validString, input: item)
                continue
            }
            if let problem = TextLimit.problem(text, maxBytes: maxLength) {
                fail(.valueError, [key, k], "Value error, \(problem)", input: .string(text))
                continue
            }
            result[k] = text
        }
        return result
    }

    /// Throws every failure noted so far.
    func check() throws {
        if !issues.isEmpty { throw RequestValidationError(issues) }
    }

    static func alternatives(_ values: [String]) -> String {
        let quoted = values.map { "'\($0)'" }
        guard quoted.count > 1, let last = quoted.last else { return quoted.first ?? "" }
        return quoted.dropLast().joined(separator: ", ") + " or " + last
    }

    private static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

}
