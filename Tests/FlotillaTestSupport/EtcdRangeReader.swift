import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Reads key ranges straight from etcd's JSON gateway (`POST /v3/kv/range`), trying each member in turn, each
/// attempt with a deadline and a size limit: what the invariant checker uses to read the registry without any
/// host in the way.
struct EtcdRangeReader: Sendable {
    let endpoints: [String]
    var timeout: Duration = .seconds(2)
    var maxBytes = 32 << 20

    /// Every key under `prefix` with its value, and the revision the read reflects.
    func range(prefix: String) async throws -> (revision: Int64, kvs: [(key: String, value: Data)]) {
        var end = Array(prefix.utf8)
        end[end.count - 1] += 1
        let body = try JSONSerialization.data(withJSONObject: [
            "key": Data(prefix.utf8).base64EncodedString(), "range_end": Data(end).base64EncodedString(),
        ])
        var failures: [String] = []
        for endpoint in endpoints {
            guard let url = URL(string: endpoint + "/v3/kv/range") else { continue }
            var request = URLRequest(url: url, timeoutInterval: Double(timeout.components.seconds) + 0.5)
            request.httpMethod = "POST"
            request.httpBody = body
            do {
                let (data, response) = try await URLSession.shared.data(for: request)
                guard (response as? HTTPURLResponse)?.statusCode == 200, data.count <= maxBytes,
                    let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
                else {
                    failures.append("\(endpoint): bad answer")
                    continue
                }
                let header = object["header"] as? [String: Any]
                let revision = Int64(header?["revision"] as? String ?? "") ?? 0
                let kvs = (object["kvs"] as? [[String: Any]] ?? []).compactMap { kv -> (String, Data)? in
                    guard let key = (kv["key"] as? String).flatMap({ Data(base64Encoded: $0) }) else { return nil }
                    let value = (kv["value"] as? String).flatMap { Data(base64Encoded: $0) } ?? Data()
                    return (String(decoding: key, as: UTF8.self), value)
                }
                return (revision, kvs.map { (key: $0.0, value: $0.1) })
            } catch {
                failures.append("\(endpoint): \(error)")
            }
        }
        throw ProcessFailure("no etcd member answered a range of \(prefix): \(failures.joined(separator: "; "))")
    }
}
