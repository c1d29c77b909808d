import Foundation

/// The path and query of one request, kept as unencoded parts until it is turned into a URL.
///
/// Every path segment and every query name and value is percent-encoded on its own, so a name such
/// as `web/1 ü` travels as one segment (`web%2F1%20%C3%BC`) and a query value such as `a=b,c=d`
/// cannot be confused with the query's own separators.
public struct RequestTarget: Sendable, Equatable {
    /// One `name=value` pair of the query, in the order given.
    public struct QueryItem: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The path segments, unencoded (`["api", "v1", "compute", "instances", "name", "web/1"]`).
    public var segments: [String]
    public var query: [QueryItem]

    public init(_ segments: [String], query: [QueryItem] = []) {
        self.segments = segments
        self.query = query
    }

    /// The encoded path and query: `/api/v1/compute/instances?state=running`.
    public var pathAndQuery: String {
        var result = segments.map { "/" + Self.percentEncode($0) }.joined()
        if result.isEmpty { result = "/" }
        if !query.isEmpty {
            result +=
                "?"
                + query.map { Self.percentEncode($0.name) + "=" + Self.percentEncode($0.value) }
                .joined(separator: "&")
        }
        return result
    }

    /// The full URL under `baseURL` (which may carry a path prefix, e.g. `http://h:8080/flotilla`).
    ///
    /// - Throws: ``FlotillaClientError/invalidRequest(_:)`` when `baseURL` is not an absolute
    ///   `http`/`https` URL without query or fragment.
    public func url(relativeTo baseURL: String) throws -> String {
        try Self.normalizedBaseURL(baseURL) + pathAndQuery
    }

    /// `baseURL` checked and without trailing slashes.
    public static func normalizedBaseURL(_ baseURL: String) throws -> String {
        var base = baseURL.trimmingCharacters(in: .whitespaces)
        while base.hasSuffix("/") { base.removeLast() }
        guard let url = URL(string: base),
            let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty,
            url.query == nil, url.fragment == nil
        else {
            throw FlotillaClientError.invalidRequest(
                "invalid server URL '\(baseURL)': expected http://HOST[:PORT] or https://HOST[:PORT]")
        }
        return base
    }

    /// Percent-encodes every byte of the UTF-8 form except RFC 3986's unreserved characters
    /// (`A-Z a-z 0-9 - . _ ~`).
    public static func percentEncode(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + Self.hexDigits[Int(byte >> 4)] + Self.hexDigits[Int(byte & 0x0F)]
            }
        }
        return out
    }

    private static let hexDigits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "A", "B", "C", "D", "E", "F"]
}
