import Foundation
import HTTPTypes
import Testing

/// Surface C helpers.
extension HTTPProbe {
    func patch(_ path: String, _ json: String) async throws -> Reply { try await call(.patch, path, json: json) }

    /// Creates a VM through surface C (synchronously) and returns its uuid.
    func createVM(
        _ name: String, flavor: String = "m1.tiny", image: String = "ubuntu-22.04", extra: String = "",
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> String {
        let r = try await post(
            "/api/v1/vms", #"{"name":"\#(name)","flavor_id":"\#(flavor)","image_id":"\#(image)"\#(extra)}"#)
        #expect(r.status == 201, "\(r.text)", sourceLocation: sourceLocation)
        return try #require(r["uuid"], sourceLocation: sourceLocation)
    }
}

extension Reply {
    /// The body parsed, without the keys that vary from run to run.
    func object(without ignored: Set<String> = ["timestamp"]) -> NSDictionary {
        NSDictionary(dictionary: json.filter { !ignored.contains($0.key) })
    }

    /// The `timestamp` field, when it is an RFC 3339 UTC time.
    var timestamp: Date? {
        (json["timestamp"] as? String).flatMap { ISO8601DateFormatter().date(from: $0) }
    }
}

/// Parses a JSON object literal for comparisons.
func jsonObject(_ text: String, without ignored: Set<String> = []) -> NSDictionary {
    let parsed = (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? ["unparseable": text]
    return NSDictionary(dictionary: parsed.filter { !ignored.contains($0.key) })
}

/// Checks a reply's status and its body (minus `timestamp`, which must be a valid time when present in
/// `expected`) against a JSON literal.
func expectBody(
    _ reply: Reply, _ status: Int, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(reply.status == status, "\(reply.text)", sourceLocation: sourceLocation)
    if jsonObject(expected)["timestamp"] != nil || reply.json["timestamp"] != nil {
        #expect(reply.timestamp != nil, "timestamp in \(reply.text)", sourceLocation: sourceLocation)
    }
    #expect(reply.object() == jsonObject(expected, without: ["timestamp"]), "\(reply.text)", sourceLocation: sourceLocation)
}
