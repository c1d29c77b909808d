import FlotillaAPI
import FlotillaCore
import Foundation
import Hummingbird
import NIOCore
import NIOFoundationCompat

extension Request {
    /// The body, at most ``HTTPLimits/maxBody`` bytes; 413 past that. A body the client did not finish
    /// sending is an ``AbandonedUpload``.
    func collectLimitedBody(context: FlotillaRequestContext) async throws -> ByteBuffer {
        do {
            return try await body.collect(upTo: HTTPLimits.maxBody)
        } catch is NIOTooManyBytesError {
            throw FlotillaError(.payloadTooLarge, "Request body is larger than \(HTTPLimits.maxBody) bytes")
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw FlotillaError(.payloadTooLarge, "Request body is larger than \(HTTPLimits.maxBody) bytes")
        } catch let error as HTTPError {
            throw error
        } catch {
            // Only the connection can fail a body read: the client went away or broke off the message.
            throw AbandonedUpload(cause: error)
        }
    }

    /// Decodes a JSON body; a missing body decodes as `empty` when given. Malformed JSON and wrong types
    /// are VALIDATION_ERROR with the JSON path that failed.
    func decodeJSON<T: Decodable>(_ type: T.Type, context: FlotillaRequestContext, empty: T? = nil) async throws -> T {
        let buffer = try await collectLimitedBody(context: context)
        if buffer.readableBytes == 0 || buffer.readableBytesView.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            if let empty { return empty }
            throw FlotillaError.validation("A JSON request body is required")
        }
        do {
            return try WireJSON.decoder().decode(T.self, from: Data(buffer: buffer))
        } catch let error as DecodingError {
            throw FlotillaError.validation(Self.describe(error), field: Self.path(of: error))
        }
    }

    static func path(of error: DecodingError) -> String? {
        let path: [any CodingKey]
        switch error {
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .keyNotFound(_, let c), .dataCorrupted(let c):
            path = c.codingPath
            if case .keyNotFound(let key, _) = error { return text(of: path + [key]) }
        @unknown default: return nil
        }
        return path.isEmpty ? nil : text(of: path)
    }

    /// A coding path as `a.0.b`: list positions by their index, keys by name.
    private static func text(of path: [any CodingKey]) -> String {
        path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }

    static func describe(_ error: DecodingError) -> String {
        let field = path(of: error).map { " at \($0)" } ?? ""
        switch error {
        case .typeMismatch(let type, _): return "Invalid JSON: expected \(Self.typeName(type))\(field)"
        case .valueNotFound(let type, _): return "Invalid JSON: expected \(Self.typeName(type))\(field), found null"
        case .keyNotFound: return "Invalid JSON: missing field\(field)"
        case .dataCorrupted(let c):
            return c.codingPath.isEmpty ? "Malformed JSON body" : "Invalid JSON value\(field)"
        @unknown default: return "Invalid JSON"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "a boolean"
        case is Int.Type, is Int64.Type, is Int32.Type: return "an integer"
        case is Double.Type: return "a number"
        default: return String(describing: type).hasPrefix("Dictionary") ? "an object" : "a value of another type"
        }
    }
}

extension Request {
    /// A query parameter parsed as a bounded integer; VALIDATION_ERROR otherwise (a repeated parameter too).
    func queryInt(_ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        try queryInt(name, range: range) ?? value
    }

    /// A query parameter parsed as a bounded integer; nil when absent, VALIDATION_ERROR when not such an integer.
    func queryInt(_ name: String, range: ClosedRange<Int>) throws -> Int? {
        guard let raw = try query(name) else { return nil }
        guard let n = Int(raw), range.contains(n) else {
            throw FlotillaError.validation(
                "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)", field: name)
        }
        return n
    }

    /// A boolean query parameter: exactly `true` or `false` (ADR 0012); VALIDATION_ERROR for anything else.
    func queryBool(_ name: String, default value: Bool) throws -> Bool {
        switch try query(name) {
        case nil: return value
        case "true": return true
        case "false": return false
        default: throw FlotillaError.validation("\(name) must be true or false", field: name)
        }
    }

    /// A query parameter's value; nil when absent. Given twice with different values it is ambiguous:
    /// VALIDATION_ERROR, never one of them taken silently.
    func query(_ name: String) throws -> String? {
        let values = uri.queryParameters.getAll(name)
        guard let first = values.first else { return nil }
        guard values.allSatisfy({ $0 == first }) else {
            throw FlotillaError.validation("\(name) is given more than once with different values", field: name)
        }
        return String(first)
    }
}
