import Foundation

/// Where a page of the audit trail ended (ADR 0018): after record ``afterId`` of hour bucket ``hour``, or after
/// the whole bucket when ``afterId`` is nil. Opaque to clients: base64url of `v1:<hour>:<afterId>`.
public struct AuditCursor: Sendable, Equatable, Hashable {
    public var hour: Int
    public var afterId: String?

    public init(hour: Int, afterId: String?) {
        self.hour = hour
        self.afterId = afterId
    }

    /// The text a page hands out as `nextCursor`.
    public var encoded: String {
        let raw = Data("v1:\(hour):\(afterId ?? "")".utf8).base64EncodedString()
        return raw.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Parses ``encoded``; nil for anything a page did not hand out (wrong alphabet, version, hour or id).
    public init?(encoded text: String) {
        guard !text.isEmpty, text.count <= 96,
            text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        else { return nil }
        var b64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        guard let data = Data(base64Encoded: b64), let raw = String(data: data, encoding: .utf8) else { return nil }
        let parts = raw.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "v1", let hour = Int(parts[1]), hour >= 0, hour < 100_000_000 else { return nil }
        let id = String(parts[2])
        guard id.isEmpty || ULID(id) != nil else { return nil }
        self.init(hour: hour, afterId: id.isEmpty ? nil : id)
    }
}
